#include "homeserver/media/media.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "core/clock.h"
#include "core/ids.h"
#include "media/metadata.h"
#include "media/thumbnail_process.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

constexpr std::int64_t kPendingLifetimeMs = 24 * 3600 * 1000;
constexpr std::int64_t kMaxPendingPerUser = 50;

core::Error not_found() { return core::make_error(Errc::kNotFound, "Media not found"); }

// The first bytes of a file (for sniffing its type).
std::string file_head(const std::string& path) {
  std::array<char, 32> head{};
  std::ifstream in(path, std::ios::binary);
  in.read(head.data(), head.size());
  return std::string(head.data(), static_cast<std::size_t>(in.gcount()));
}

void remove_file(const std::string& path) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
}

// Moves the request's body file to a name of our own, so that the HTTP layer's clean-up after
// the response does not race with the work still to do on it. "" on failure.
std::string take_file(const std::string& body_file, const std::string& temp_dir) {
  if (body_file.empty()) return "";
  const std::string taken = temp_dir + "/ingest-" + core::random_string(16);
  std::error_code ec;
  std::filesystem::rename(body_file, taken, ec);
  return ec ? std::string() : taken;
}

}  // namespace

bool valid_media_id(std::string_view id) {
  if (id.empty() || id.size() > 255) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  return true;
}

media::ThumbnailSpec standard_thumbnail(const media::ThumbnailSpec& asked) {
  struct Size {
    int width, height;
    bool crop;
  };
  static constexpr Size kSizes[] = {
      {32, 32, true}, {96, 96, true}, {320, 240, false}, {640, 480, false}, {800, 600, false}};
  for (bool same_method : {true, false}) {
    for (const Size& size : kSizes) {
      if (same_method != (size.crop == asked.crop)) continue;
      if (size.width >= asked.width && size.height >= asked.height)
        return media::ThumbnailSpec{size.width, size.height, size.crop, asked.animated};
    }
  }
  return media::ThumbnailSpec{800, 600, false, asked.animated};
}

std::string thumbnail_name(const media::ThumbnailSpec& spec) {
  return std::to_string(spec.width) + "x" + std::to_string(spec.height) + (spec.crop ? "-crop" : "-scale") +
         (spec.animated ? "-animated" : "");
}

std::optional<std::pair<std::string, std::string>> parse_mxc(std::string_view uri) {
  if (!uri.starts_with("mxc://")) return std::nullopt;
  uri.remove_prefix(6);
  const std::size_t slash = uri.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string server(uri.substr(0, slash)), id(uri.substr(slash + 1));
  if (!core::is_valid_server_name(server) || !valid_media_id(id)) return std::nullopt;
  return std::pair{std::move(server), std::move(id)};
}

bool servable_inline(std::string_view content_type) {
  static constexpr std::string_view kInline[] = {
      "text/css",   "text/plain",  "text/csv",        "application/json", "application/ld+json", "image/jpeg",
      "image/gif",  "image/png",   "image/apng",      "image/webp",       "image/avif",          "video/mp4",
      "video/webm", "video/ogg",   "video/quicktime", "audio/mp4",        "audio/webm",          "audio/aac",
      "audio/mpeg", "audio/ogg",   "audio/wave",      "audio/wav",        "audio/x-wav",         "audio/x-pn-wav",
      "audio/flac", "audio/x-flac"};
  const std::string_view type = content_type.substr(0, content_type.find(';'));
  for (std::string_view safe : kInline)
    if (type == safe) return true;
  return false;
}

MediaRepository::MediaRepository(const MediaOptions& config, storage::MediaStore& store, media::ContentStore& content,
                                 http::Scheduler& scheduler)
    : config_(config), store_(store), content_(content), scheduler_(scheduler) {}

std::string MediaRepository::content_uri(const std::string& media_id) const {
  return "mxc://" + config_.server_name + "/" + media_id;
}

void MediaRepository::ingest(std::string temp, std::function<void(core::Result<media::FileDigest>)> finish) {
  auto result = std::make_shared<std::optional<media::FileDigest>>();
  const bool strip = config_.strip_image_metadata;
  // The content store is files only (no state of the loop's): its fsyncs run here too.
  scheduler_.run_blocking(
      [this, temp, strip, result] {
        if (strip) {
          const std::string type = media::sniff_image_type(file_head(temp));
          if (type == "image/jpeg" || type == "image/png" || type == "image/webp") {
            const std::string clean = temp + ".clean";
            if (media::strip_metadata(temp, clean) == media::StripResult::kStripped) {
              std::error_code ec;
              std::filesystem::rename(clean, temp, ec);
              if (ec) remove_file(clean);
            }
          }
        }
        *result = media::digest_file(temp);
        if (*result && !content_.add(temp, (*result)->sha256_hex)) result->reset();
      },
      [this, temp, result, finish = std::move(finish)] {
        if (!*result) {
          remove_file(temp);
          return finish(core::fail(Errc::kInternal, "Cannot store the upload"));
        }
        try {
          finish(**result);
        } catch (const storage::StorageError&) {  // e.g. the disk is full: answer, and leave no orphan
          if (store_.media_using_content((*result)->sha256_hex) == 0) content_.remove((*result)->sha256_hex);
          finish(core::fail(Errc::kInternal, "Cannot store the upload"));
        }
      });
}

core::Status MediaRepository::check_quota(const std::string& user_id, std::uint64_t incoming) const {
  if (config_.media_quota_bytes == 0) return {};
  const auto reserved = reserved_.find(user_id);
  const std::uint64_t used = static_cast<std::uint64_t>(store_.user_media_bytes(user_id)) +
                             static_cast<std::uint64_t>(reserved == reserved_.end() ? 0 : reserved->second);
  if (used + incoming > config_.media_quota_bytes)
    return core::fail(Errc::kForbidden, "Your media quota is used up: delete some uploads first");
  return {};
}

std::string MediaRepository::reserve(const std::string& user_id, const std::string& body_file, UploadDone& done) {
  std::error_code ec;
  const auto size = static_cast<std::int64_t>(std::filesystem::file_size(body_file, ec));
  if (ec) {
    done(core::fail(Errc::kInternal, "Cannot store the upload"));
    return "";
  }
  if (auto allowed = check_quota(user_id, static_cast<std::uint64_t>(size)); !allowed) {
    done(std::unexpected(allowed.error()));
    return "";
  }
  std::string temp = take_file(body_file, content_.temp_dir());
  if (temp.empty()) {
    done(core::fail(Errc::kInternal, "Cannot store the upload"));
    return "";
  }
  reserved_[user_id] += size;
  done = [this, user_id, size, done = std::move(done)](core::Result<json::object> result) {
    if ((reserved_[user_id] -= size) <= 0) reserved_.erase(user_id);
    done(std::move(result));
  };
  return temp;
}

void MediaRepository::upload(const Session& session, const std::string& body_file, std::string content_type,
                             std::string upload_name, UploadDone done) {
  std::string temp = reserve(session.user_id, body_file, done);
  if (temp.empty()) return;
  ingest(std::move(temp), [this, user = session.user_id, content_type = std::move(content_type),
                           upload_name = std::move(upload_name), done = std::move(done)](auto digest) {
    if (!digest) return done(std::unexpected(digest.error()));
    storage::MediaRecord record{core::random_string(24),
                                user,
                                digest->sha256_hex,
                                static_cast<std::int64_t>(digest->size),
                                content_type,
                                upload_name,
                                core::now_ms(),
                                std::nullopt};
    while (!store_.add_media(record)) record.media_id = core::random_string(24);
    done(json::object{{"content_uri", content_uri(record.media_id)}});
  });
}

core::Result<json::object> MediaRepository::create(const Session& session) {
  if (store_.pending_media_count(session.user_id, core::now_ms()) >= kMaxPendingPerUser) {
    core::Error error = core::make_error(Errc::kLimitExceeded, "Too many media IDs waiting for their upload");
    error.extra["retry_after_ms"] = 60'000;
    return std::unexpected(std::move(error));
  }
  const std::int64_t expires = core::now_ms() + kPendingLifetimeMs;
  storage::MediaRecord record{core::random_string(24), session.user_id, "", 0, "", "", core::now_ms(), expires};
  while (!store_.add_media(record)) record.media_id = core::random_string(24);
  return json::object{{"content_uri", content_uri(record.media_id)}, {"unused_expires_at", expires}};
}

void MediaRepository::upload_to(const Session& session, const std::string& server_name, const std::string& media_id,
                                const std::string& body_file, std::string content_type, std::string upload_name,
                                UploadDone done) {
  auto record = server_name == config_.server_name ? store_.media(media_id) : std::nullopt;
  if (!record || (record->pending_until && *record->pending_until < core::now_ms()))
    return done(std::unexpected(not_found()));
  if (record->uploader != session.user_id)
    return done(core::fail(Errc::kForbidden, "This media ID belongs to someone else"));
  if (!record->pending_until) return done(core::fail(Errc::kCannotOverwriteMedia, "This media is already uploaded"));
  std::string temp = reserve(session.user_id, body_file, done);
  if (temp.empty()) return;
  ingest(std::move(temp), [this, record = *record, content_type = std::move(content_type),
                           upload_name = std::move(upload_name), done = std::move(done)](auto digest) mutable {
    if (!digest) return done(std::unexpected(digest.error()));
    record.sha256 = digest->sha256_hex;
    record.size = static_cast<std::int64_t>(digest->size);
    record.content_type = std::move(content_type);
    record.upload_name = std::move(upload_name);
    if (!store_.complete_media(record)) {  // a concurrent upload to the same ID won
      if (store_.media_using_content(record.sha256) == 0) content_.remove(record.sha256);
      return done(core::fail(Errc::kCannotOverwriteMedia, "This media is already uploaded"));
    }
    done(json::object{});
  });
}

core::Result<storage::MediaRecord> MediaRepository::uploaded(const std::string& server_name,
                                                             const std::string& media_id) {
  if (server_name != config_.server_name || !valid_media_id(media_id)) return std::unexpected(not_found());
  auto record = store_.media(media_id);
  if (!record) return std::unexpected(not_found());
  if (record->pending_until) {
    if (*record->pending_until < core::now_ms()) return std::unexpected(not_found());  // expired unused
    return core::fail(Errc::kNotYetUploaded, "The media has not been uploaded yet");
  }
  return std::move(*record);
}

Servable MediaRepository::servable(const storage::MediaRecord& record) const {
  return Servable{content_.path(record.sha256), static_cast<std::uint64_t>(record.size), record.content_type,
                  record.upload_name};
}

core::Result<Servable> MediaRepository::download(const std::string& server_name, const std::string& media_id) {
  auto record = uploaded(server_name, media_id);
  if (!record) return std::unexpected(record.error());
  return servable(*record);
}

void MediaRepository::thumbnail(const std::string& server_name, const std::string& media_id,
                                const media::ThumbnailSpec& asked, ThumbnailDone done) {
  auto record = uploaded(server_name, media_id);
  if (!record) return done(std::unexpected(record.error()));
  const auto original = servable(*record);
  const auto spec = standard_thumbnail(asked);
  const std::string sha = record->sha256;
  const std::string name = thumbnail_name(spec);
  // The verdict on a thumbnail that could not be made (it is never retried).
  auto refuse = [original](media::ThumbnailError error) -> core::Result<Servable> {
    switch (error) {
      case media::ThumbnailError::kServeOriginal: return original;
      case media::ThumbnailError::kTooLarge: return core::fail(Errc::kTooLarge, "The image is too large to thumbnail");
      default: return core::fail(Errc::kUnknown, "Cannot thumbnail this content");
    }
  };
  if (auto failed = failed_thumbnails_.find(sha + name); failed != failed_thumbnails_.end())
    return done(refuse(failed->second));
  auto serve_cached = [this](const std::string& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return Servable{path, ec ? 0 : size, media::sniff_image_type(file_head(path)), ""};
  };
  if (std::string cached = content_.thumbnail(sha, name); !cached.empty()) return done(serve_cached(cached));
  // The same thumbnail asked for again while it is being made waits for that one.
  auto& waiting = making_[sha + name];
  waiting.push_back(std::move(done));
  if (waiting.size() > 1) return;
  auto answer = [this, key = sha + name](const core::Result<Servable>& result) {
    auto node = making_.extract(key);
    for (auto& waiter : node.mapped()) waiter(result);
  };
  auto made = std::make_shared<std::expected<void, media::ThumbnailError>>();
  const media::ImageLimits limits{config_.max_image_pixels, 16384};
  const std::string output = content_.temp_dir() + "/thumbnail-" + core::random_string(16);
  scheduler_.run_blocking(
      [made, path = original.path, output, spec, limits] {
        *made = media::thumbnail_in_child(media::default_thumbnailer_path(), path, output, spec, limits);
      },
      [this, made, refuse, media_id, sha, name, output, serve_cached, answer] {
        // Every waiter must hear back (and the entry in making_ go), even on a storage error.
        bool deleted = false;
        try {
          deleted = !store_.media(media_id);
        } catch (const storage::StorageError&) {
          remove_file(output);
          return answer(core::fail(Errc::kInternal, "Cannot read the media record"));
        }
        if (deleted) {  // deleted meanwhile
          remove_file(output);
          return answer(std::unexpected(not_found()));
        }
        if (!*made) {
          remove_file(output);
          if (failed_thumbnails_.size() >= 10'000) failed_thumbnails_.clear();
          failed_thumbnails_[sha + name] = made->error();
          return answer(refuse(made->error()));
        }
        if (!content_.add_thumbnail(sha, name, output)) {
          remove_file(output);
          return answer(core::fail(Errc::kInternal, "Cannot store the thumbnail"));
        }
        answer(serve_cached(content_.thumbnail(sha, name)));
      });
}

core::Result<json::object> MediaRepository::list(const std::string& user_id, const std::string& from,
                                                 std::size_t limit) {
  // Page tokens are "<created_ts>_<media_id>" of the last upload shown.
  std::optional<std::pair<std::int64_t, std::string>> after;
  if (!from.empty()) {
    const std::size_t underscore = from.find('_');
    std::int64_t ts = -1;
    if (underscore != std::string::npos) std::from_chars(from.data(), from.data() + underscore, ts);
    if (ts < 0 || !valid_media_id(from.substr(underscore + 1)))
      return core::fail(Errc::kInvalidParam, "Invalid from token");
    after.emplace(ts, from.substr(underscore + 1));
  }
  auto records = store_.user_media(user_id, after, limit + 1);
  const bool more = records.size() > limit;
  if (more) records.pop_back();
  json::array media;
  for (const auto& record : records) {
    json::object entry{{"content_uri", content_uri(record.media_id)},
                       {"media_id", record.media_id},
                       {"created_ts", record.created_ts},
                       {"size", record.size},
                       {"content_type", record.content_type}};
    if (!record.upload_name.empty()) entry["upload_name"] = record.upload_name;
    if (record.pending_until) entry["unused_expires_at"] = *record.pending_until;
    media.push_back(std::move(entry));
  }
  json::object out{{"media", std::move(media)}};
  if (more) out["next_batch"] = std::to_string(records.back().created_ts) + "_" + records.back().media_id;
  return out;
}

core::Status MediaRepository::remove(const std::string& user_id, bool admin, const std::string& media_id) {
  auto record = valid_media_id(media_id) ? store_.media(media_id) : std::nullopt;
  if (!record || (record->uploader != user_id && !admin)) return std::unexpected(not_found());
  store_.delete_media(media_id);
  forget(*record);
  return {};
}

std::int64_t MediaRepository::purge_before(std::int64_t ts) {
  std::int64_t removed = 0;
  for (auto batch = store_.media_created_before(ts, 500); !batch.empty();
       batch = store_.media_created_before(ts, 500)) {
    for (const auto& record : batch) {
      store_.delete_media(record.media_id);
      forget(record);
      ++removed;
    }
  }
  return removed;
}

void MediaRepository::expire_pending() { store_.delete_expired_pending_media(core::now_ms()); }

void MediaRepository::forget(const storage::MediaRecord& record) {
  if (!record.sha256.empty() && store_.media_using_content(record.sha256) == 0) content_.remove(record.sha256);
}

}  // namespace myelin::homeserver
