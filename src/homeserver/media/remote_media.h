#pragma once
// Other servers' media for our clients (client-server-api GET /_matrix/client/v1/media/
// download and /thumbnail of an mxc:// URI of another server), kept in a content store of its
// own (media::ContentStore, under <data_dir>/remote_media, emptied at every start: the index
// is in memory) up to media.remote_cache_bytes in all, the least recently served going
// first, so a second download does not ask the remote server again. Thumbnails are asked of
// the remote server at the standard sizes (standard_thumbnail) and cached like the media.
// The fetch itself is a callback (federation's RemoteMediaClient, wired in homeserver.h):
// concurrent requests for the same media share one fetch, at most kMaxFetches run at once and
// kMaxQueued wait (429 M_LIMIT_EXCEEDED beyond); media the remote server does not have (404) is
// not asked for again for kNotFoundMs (at most kMaxNotFound remembered). Each answer is at most
// media.max_upload_bytes. The deprecated unauthenticated endpoints never come here (frozen:
// media cached after the freeze counts as new, client-server-api "Content repository").
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "homeserver/media/media.h"
#include "homeserver/media/options.h"
#include "http/http.h"
#include "media/content_store.h"
#include "media/thumbnail.h"

namespace myelin::homeserver {

struct FetchedMedia {
  std::string bytes;
  std::string content_type;
  std::string upload_name;
};

class RemoteMedia {
 public:
  using FetchDone = std::function<void(core::Result<FetchedMedia>)>;
  // Fetches media of another server (`thumbnail`: a thumbnail of it at that size) of at most
  // `max_bytes`, answering the client's error when it cannot.
  using Fetch = std::function<void(const std::string& server, const std::string& media_id,
                                   const std::optional<media::ThumbnailSpec>& thumbnail, std::uint64_t max_bytes,
                                   FetchDone done)>;
  RemoteMedia(const MediaOptions& config, media::ContentStore& cache, http::Scheduler& scheduler, Fetch fetch)
      : config_(config), cache_(cache), scheduler_(scheduler), fetch_(std::move(fetch)) {}

  using Done = std::function<void(core::Result<Servable>)>;
  // `server` is not ours. M_NOT_FOUND for a malformed media ID, else the fetch's errors.
  void download(const std::string& server, const std::string& media_id, Done done);
  void thumbnail(const std::string& server, const std::string& media_id, const media::ThumbnailSpec& asked, Done done);

  std::uint64_t cached_bytes() const { return cached_bytes_; }
  std::size_t cached_entries() const { return entries_.size(); }

  static constexpr std::size_t kMaxFetches = 4;
  static constexpr std::size_t kMaxQueued = 256;
  static constexpr std::int64_t kNotFoundMs = 60'000;
  static constexpr std::size_t kMaxNotFound = 10'000;

 private:
  struct Entry {
    std::string sha256;
    std::uint64_t size = 0;
    std::string content_type, upload_name;
    std::list<std::string>::iterator recent;  // its place in recent_
  };
  struct Wanted {
    std::string server, media_id;
    std::optional<media::ThumbnailSpec> thumbnail;
    std::vector<Done> waiting;
  };
  void get(std::string key, const std::string& server, const std::string& media_id,
           std::optional<media::ThumbnailSpec> thumbnail, Done done);
  void start(const std::string& key);
  // Stores what came (off the loop), then answers everyone waiting for `key`.
  void arrived(const std::string& key, core::Result<FetchedMedia> fetched);
  void finish(const std::string& key, const core::Result<Servable>& result);
  // Drops the least recently used entries until the cache fits its bound (`keep` stays).
  void evict(const std::string& keep);
  Servable servable(const Entry& entry) const;

  const MediaOptions& config_;
  media::ContentStore& cache_;
  http::Scheduler& scheduler_;
  Fetch fetch_;
  std::unordered_map<std::string, Entry> entries_;      // "server/id" or "server/id/thumbnail name"
  std::list<std::string> recent_;                       // keys, most recently served first
  std::unordered_map<std::string, std::size_t> users_;  // content -> entries naming it
  std::uint64_t cached_bytes_ = 0;
  std::unordered_map<std::string, Wanted> wanted_;  // fetches under way or queued
  std::deque<std::string> queued_;
  std::size_t running_ = 0;
  std::unordered_map<std::string, std::int64_t> not_found_;  // key -> when the remote server said 404
};

}  // namespace myelin::homeserver
