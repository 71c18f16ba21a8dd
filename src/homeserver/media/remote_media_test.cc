#include "homeserver/media/remote_media.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/ids.h"

namespace myelin::homeserver {
namespace {

struct RemoteMediaTest : ::testing::Test {
  RemoteMediaTest() {
    options.max_upload_bytes = 100;
    options.remote_cache_bytes = 25;
  }
  ~RemoteMediaTest() override { std::filesystem::remove_all(root); }

  struct Asked {
    std::string server, media_id;
    std::optional<media::ThumbnailSpec> thumbnail;
    std::uint64_t max_bytes;
    RemoteMedia::FetchDone done;
  };
  // Answers the oldest fetch not yet answered.
  void answer(core::Result<FetchedMedia> media) {
    auto done = std::move(asked.at(answered++).done);
    done(std::move(media));
  }
  std::function<void(core::Result<Servable>)> keep(std::optional<core::Result<Servable>>& into) {
    return [&into](core::Result<Servable> file) { into = std::move(file); };
  }
  static std::string contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream all;
    all << in.rdbuf();
    return all.str();
  }

  std::string root = std::filesystem::temp_directory_path() / ("remote-media-" + core::random_string(8));
  std::unique_ptr<media::ContentStore> store = media::open_local_content_store(root);
  MediaOptions options;
  http::InlineScheduler scheduler;
  std::vector<Asked> asked;
  std::size_t answered = 0;
  RemoteMedia remote{options, *store, scheduler,
                     [this](const std::string& server, const std::string& media_id,
                            const std::optional<media::ThumbnailSpec>& thumbnail, std::uint64_t max_bytes,
                            RemoteMedia::FetchDone done) {
                       asked.push_back({server, media_id, thumbnail, max_bytes, std::move(done)});
                     }};
};

TEST_F(RemoteMediaTest, FetchesOnceAndServesTheSecondFromTheCache) {
  std::optional<core::Result<Servable>> first, second, third;
  remote.download("there.example", "m1", keep(first));
  remote.download("there.example", "m1", keep(second));  // while the first is under way: shares it
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].server, "there.example");
  EXPECT_EQ(asked[0].media_id, "m1");
  EXPECT_FALSE(asked[0].thumbnail);
  EXPECT_EQ(asked[0].max_bytes, 100u);
  answer(FetchedMedia{"0123456789", "image/png", "a.png"});
  ASSERT_TRUE(first && *first && second && *second);
  EXPECT_EQ(contents((*first)->path), "0123456789");
  EXPECT_EQ((*first)->size, 10u);
  EXPECT_EQ((*first)->content_type, "image/png");
  EXPECT_EQ((*first)->upload_name, "a.png");
  remote.download("there.example", "m1", keep(third));
  EXPECT_EQ(asked.size(), 1u);
  ASSERT_TRUE(third && *third);
  EXPECT_EQ((*third)->path, (*first)->path);
}

TEST_F(RemoteMediaTest, EvictsTheLeastRecentlyServedBeyondTheBound) {
  std::optional<core::Result<Servable>> a, b, c, again;
  remote.download("there.example", "a", keep(a));
  answer(FetchedMedia{"aaaaaaaaaa", "text/plain", ""});
  remote.download("there.example", "b", keep(b));
  answer(FetchedMedia{"bbbbbbbbbb", "text/plain", ""});
  remote.download("there.example", "a", keep(again));  // a is now more recent than b
  EXPECT_EQ(remote.cached_bytes(), 20u);
  remote.download("there.example", "c", keep(c));
  answer(FetchedMedia{"cccccccccc", "text/plain", ""});
  EXPECT_EQ(remote.cached_bytes(), 20u);  // b went
  EXPECT_EQ(remote.cached_entries(), 2u);
  EXPECT_FALSE(std::filesystem::exists((*b)->path));
  EXPECT_TRUE(std::filesystem::exists((*a)->path));
  std::optional<core::Result<Servable>> b_again;
  remote.download("there.example", "b", keep(b_again));
  EXPECT_EQ(asked.size(), 4u);  // fetched again
}

TEST_F(RemoteMediaTest, OneFileOverTheBoundIsServedThenGoesFirst) {
  options.remote_cache_bytes = 5;
  std::optional<core::Result<Servable>> big, small;
  remote.download("there.example", "big", keep(big));
  answer(FetchedMedia{"0123456789", "text/plain", ""});
  ASSERT_TRUE(big && *big);
  EXPECT_TRUE(std::filesystem::exists((*big)->path));
  remote.download("there.example", "small", keep(small));
  answer(FetchedMedia{"s", "text/plain", ""});
  EXPECT_EQ(remote.cached_bytes(), 1u);
}

TEST_F(RemoteMediaTest, SharedContentStaysWhileAnEntryNamesIt) {
  options.remote_cache_bytes = 15;
  std::optional<core::Result<Servable>> x, y, z;
  remote.download("there.example", "x", keep(x));
  answer(FetchedMedia{"same-bytes", "text/plain", ""});
  remote.download("other.example", "y", keep(y));
  answer(FetchedMedia{"same-bytes", "text/plain", ""});  // x goes, its content stays for y
  EXPECT_EQ(remote.cached_entries(), 1u);
  EXPECT_TRUE(std::filesystem::exists((*y)->path));
  remote.download("there.example", "z", keep(z));
  answer(FetchedMedia{"zz", "text/plain", ""});
  EXPECT_EQ(remote.cached_bytes(), 12u);
}

TEST_F(RemoteMediaTest, ErrorsAreAnsweredToEveryoneAndOnlyNotFoundIsRemembered) {
  std::optional<core::Result<Servable>> first, second;
  remote.download("there.example", "m", keep(first));
  remote.download("there.example", "m", keep(second));
  answer(core::fail(core::Errc::kNotFound, "Media not found"));
  ASSERT_TRUE(first && !*first && second && !*second);
  EXPECT_EQ((*second).error().http_status, 404);
  first.reset();
  remote.download("there.example", "m", keep(first));  // not asked again for a while
  EXPECT_EQ(asked.size(), 1u);
  ASSERT_TRUE(first && !*first);
  EXPECT_EQ((*first).error().http_status, 404);
  remote.download("there.example", "n", keep(first));
  answer(core::fail(core::Errc::kUnknown, "The media's server did not serve it", 502));
  remote.download("there.example", "n", keep(first));  // unreachable: asked again
  EXPECT_EQ(asked.size(), 3u);
}

TEST_F(RemoteMediaTest, RefusesMoreThanTheBoundAndBadIds) {
  std::optional<core::Result<Servable>> result;
  remote.download("there.example", "../etc", keep(result));
  ASSERT_TRUE(result && !*result);
  EXPECT_EQ((*result).error().http_status, 404);
  EXPECT_TRUE(asked.empty());
  remote.download("there.example", "big", keep(result));
  answer(FetchedMedia{std::string(101, 'x'), "text/plain", ""});
  EXPECT_EQ((*result).error().errcode, "M_TOO_LARGE");
  EXPECT_EQ((*result).error().http_status, 502);
}

TEST_F(RemoteMediaTest, BoundsConcurrentFetchesAndQueuesTheRest) {
  std::vector<std::optional<core::Result<Servable>>> results(RemoteMedia::kMaxFetches + RemoteMedia::kMaxQueued + 1);
  for (std::size_t i = 0; i < results.size(); ++i)
    remote.download("there.example", "m" + std::to_string(i), keep(results[i]));
  EXPECT_EQ(asked.size(), RemoteMedia::kMaxFetches);
  ASSERT_TRUE(results.back() && !*results.back());
  EXPECT_EQ((*results.back()).error().http_status, 429);
  answer(FetchedMedia{"1", "text/plain", ""});
  EXPECT_EQ(asked.size(), RemoteMedia::kMaxFetches + 1);  // the first queued started
  EXPECT_EQ(asked.back().media_id, "m" + std::to_string(RemoteMedia::kMaxFetches));
}

TEST_F(RemoteMediaTest, ThumbnailsAreAskedAtStandardSizesAndCachedApart) {
  std::optional<core::Result<Servable>> small, same, original;
  remote.thumbnail("there.example", "m", media::ThumbnailSpec{50, 50, true, false}, keep(small));
  remote.thumbnail("there.example", "m", media::ThumbnailSpec{90, 80, true, false}, keep(same));  // also 96x96
  ASSERT_EQ(asked.size(), 1u);
  ASSERT_TRUE(asked[0].thumbnail);
  EXPECT_EQ(asked[0].thumbnail->width, 96);
  EXPECT_EQ(asked[0].thumbnail->height, 96);
  EXPECT_TRUE(asked[0].thumbnail->crop);
  answer(FetchedMedia{"thumb", "image/png", ""});
  ASSERT_TRUE(small && *small && same && *same);
  remote.download("there.example", "m", keep(original));
  EXPECT_EQ(asked.size(), 2u);
}

}  // namespace
}  // namespace myelin::homeserver
