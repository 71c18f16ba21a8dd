#include "homeserver/media/remote_media.h"

#include <filesystem>
#include <fstream>
#include <memory>

#include "core/clock.h"
#include "core/ids.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

// Writes the bytes to a file of the store's temporary folder and takes it into the store:
// the digest, or nullopt on an I/O failure. Off the loop.
std::optional<media::FileDigest> store_bytes(media::ContentStore& store, const std::string& bytes) {
  const std::string temp = store.temp_dir() + "/remote-" + core::random_string(16);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temp, ignored);
      return std::nullopt;
    }
  }
  auto digest = media::digest_file(temp);
  if (!digest || !store.add(temp, digest->sha256_hex)) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    return std::nullopt;
  }
  return digest;
}

}  // namespace

void RemoteMedia::download(const std::string& server, const std::string& media_id, Done done) {
  get(server + "/" + media_id, server, media_id, std::nullopt, std::move(done));
}

void RemoteMedia::thumbnail(const std::string& server, const std::string& media_id, const media::ThumbnailSpec& asked,
                            Done done) {
  const media::ThumbnailSpec spec = standard_thumbnail(asked);
  get(server + "/" + media_id + "/" + thumbnail_name(spec), server, media_id, spec, std::move(done));
}

Servable RemoteMedia::servable(const Entry& entry) const {
  return Servable{cache_.path(entry.sha256), entry.size, entry.content_type, entry.upload_name};
}

void RemoteMedia::get(std::string key, const std::string& server, const std::string& media_id,
                      std::optional<media::ThumbnailSpec> thumbnail, Done done) {
  if (!valid_media_id(media_id)) return done(core::fail(Errc::kNotFound, "Media not found"));
  if (auto it = entries_.find(key); it != entries_.end()) {
    recent_.splice(recent_.begin(), recent_, it->second.recent);
    return done(servable(it->second));
  }
  if (auto it = not_found_.find(key); it != not_found_.end()) {
    if (core::now_ms() - it->second < kNotFoundMs) return done(core::fail(Errc::kNotFound, "Media not found"));
    not_found_.erase(it);
  }
  if (auto it = wanted_.find(key); it != wanted_.end()) return it->second.waiting.push_back(std::move(done));
  if (running_ >= kMaxFetches && queued_.size() >= kMaxQueued) {
    core::Error error = core::make_error(Errc::kLimitExceeded, "Too many remote media downloads under way");
    error.extra["retry_after_ms"] = 1000;
    return done(std::unexpected(std::move(error)));
  }
  Wanted& wanted = wanted_[key];
  wanted.server = server;
  wanted.media_id = media_id;
  wanted.thumbnail = thumbnail;
  wanted.waiting.push_back(std::move(done));
  if (running_ >= kMaxFetches) return queued_.push_back(std::move(key));
  start(key);
}

void RemoteMedia::start(const std::string& key) {
  ++running_;
  // Copies: the fetch may answer before it returns, which ends `wanted`.
  const Wanted& wanted = wanted_.at(key);
  const std::string server = wanted.server, media_id = wanted.media_id;
  const auto thumbnail = wanted.thumbnail;
  fetch_(server, media_id, thumbnail, config_.max_upload_bytes,
         [this, key](core::Result<FetchedMedia> fetched) { arrived(key, std::move(fetched)); });
}

void RemoteMedia::arrived(const std::string& key, core::Result<FetchedMedia> fetched) {
  if (!fetched) {
    if (fetched.error().http_status == 404) {
      if (not_found_.size() >= kMaxNotFound) not_found_.clear();
      not_found_[key] = core::now_ms();
    }
    return finish(key, std::unexpected(fetched.error()));
  }
  if (fetched->bytes.size() > config_.max_upload_bytes)  // the fetch's bound, held here too
    return finish(key, core::fail(Errc::kTooLarge, "The remote media is too large to serve", 502));
  auto media = std::make_shared<FetchedMedia>(std::move(*fetched));
  auto digest = std::make_shared<std::optional<media::FileDigest>>();
  scheduler_.run_blocking([this, media, digest] { *digest = store_bytes(cache_, media->bytes); },
                          [this, key, media, digest] {
                            if (!*digest) return finish(key, core::fail(Errc::kInternal, "Cannot cache the media"));
                            recent_.push_front(key);
                            Entry entry{(*digest)->sha256_hex, (*digest)->size, std::move(media->content_type),
                                        std::move(media->upload_name), recent_.begin()};
                            ++users_[entry.sha256];
                            cached_bytes_ += entry.size;
                            const Servable file = servable(entry);
                            entries_.insert_or_assign(key, std::move(entry));
                            evict(key);
                            finish(key, file);
                          });
}

void RemoteMedia::finish(const std::string& key, const core::Result<Servable>& result) {
  auto node = wanted_.extract(key);
  --running_;
  while (running_ < kMaxFetches && !queued_.empty()) {
    std::string next = std::move(queued_.front());
    queued_.pop_front();
    start(next);
  }
  for (auto& done : node.mapped().waiting) done(result);
}

void RemoteMedia::evict(const std::string& keep) {
  while (cached_bytes_ > config_.remote_cache_bytes && !recent_.empty() && recent_.back() != keep) {
    auto it = entries_.find(recent_.back());
    recent_.pop_back();
    cached_bytes_ -= it->second.size;
    if (--users_[it->second.sha256] == 0) {
      users_.erase(it->second.sha256);
      cache_.remove(it->second.sha256);
    }
    entries_.erase(it);
  }
}

}  // namespace myelin::homeserver
