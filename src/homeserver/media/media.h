#pragma once
// The media repository (client-server-api "Content repository"): uploads (direct, and the
// asynchronous create-then-upload pair), downloads and thumbnails of local media, and the
// uploaders' own list and deletion. Bytes live in a media::ContentStore by SHA-256; metadata
// in the store. Hashing, metadata stripping and thumbnailing run on the worker pool, never on
// the event loop; thumbnails are made by a child process (media/thumbnail_process.h). Deleted
// media stops being served at once; content no record uses any more is removed with its
// thumbnails.
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/accounts/accounts.h"
#include "homeserver/media/options.h"
#include "http/http.h"
#include "media/content_store.h"
#include "media/thumbnail.h"
#include "storage/media_store.h"

namespace myelin::homeserver {

// A file to send: what download and thumbnail answer.
struct Servable {
  std::string path;
  std::uint64_t size = 0;
  std::string content_type;
  std::string upload_name;
};

class MediaRepository {
 public:
  MediaRepository(const MediaOptions& config, storage::MediaStore& store, media::ContentStore& content,
                  http::Scheduler& scheduler);

  using UploadDone = std::function<void(core::Result<json::object>)>;
  // POST /upload with the request's streamed body file (taken over). Answers {content_uri}.
  void upload(const Session& session, const std::string& body_file, std::string content_type, std::string upload_name,
              UploadDone done);
  // POST /create: a media ID to upload to later ({content_uri, unused_expires_at}).
  core::Result<json::object> create(const Session& session);
  // PUT /upload/{serverName}/{mediaId}: M_FORBIDDEN for someone else's ID, M_CANNOT_OVERWRITE_MEDIA
  // once uploaded, M_NOT_FOUND for an unknown or expired one.
  void upload_to(const Session& session, const std::string& server_name, const std::string& media_id,
                 const std::string& body_file, std::string content_type, std::string upload_name, UploadDone done);

  // M_NOT_FOUND for unknown, deleted or remote media; M_NOT_YET_UPLOADED while pending.
  core::Result<Servable> download(const std::string& server_name, const std::string& media_id);
  using ThumbnailDone = std::function<void(core::Result<Servable>)>;
  void thumbnail(const std::string& server_name, const std::string& media_id, const media::ThumbnailSpec& spec,
                 ThumbnailDone done);

  // The user's uploads, newest first ({"media": [...], "next_batch"?}); `from` is the previous
  // page's next_batch. M_INVALID_PARAM for a malformed one.
  core::Result<json::object> list(const std::string& user_id, const std::string& from, std::size_t limit);
  // Deletes an upload: its uploader may, an admin may delete any. M_NOT_FOUND otherwise.
  core::Status remove(const std::string& user_id, bool admin, const std::string& media_id);
  // Deletes every upload created before `ts` (admin command); returns how many.
  std::int64_t purge_before(std::int64_t ts);
  // Forgets async-upload IDs that were never used (called periodically).
  void expire_pending();
  // M_FORBIDDEN when `incoming` more bytes would take the user over their quota (counting
  // uploads still being stored).
  core::Status check_quota(const std::string& user_id, std::uint64_t incoming) const;
  // The largest upload (media/config's m.upload.size; larger streamed bodies get 413).
  std::uint64_t max_upload_bytes() const { return config_.max_upload_bytes; }
  // Ours: media of any other server is another server's (remote_media.h).
  const std::string& server_name() const { return config_.server_name; }
  // Whether the frozen unauthenticated /_matrix/media/v3/download and thumbnail serve media.
  bool serves_legacy_downloads() const { return config_.legacy_media_download; }

 private:
  // Hashes (and strips) the taken file off the loop, then stores it and calls `finish`.
  void ingest(std::string temp, std::function<void(core::Result<media::FileDigest>)> finish);
  void forget(const storage::MediaRecord& record);
  // The record of local, uploaded media: M_NOT_FOUND (also for expired async IDs) or
  // M_NOT_YET_UPLOADED otherwise.
  core::Result<storage::MediaRecord> uploaded(const std::string& server_name, const std::string& media_id);
  Servable servable(const storage::MediaRecord& record) const;
  // Takes the request's body file and holds its size against the user's quota until `done`
  // (the returned callback) is called; "" when the quota does not allow it (then `done` already
  // has the error) or the file cannot be taken.
  std::string reserve(const std::string& user_id, const std::string& body_file, UploadDone& done);
  std::string content_uri(const std::string& media_id) const;

  const MediaOptions& config_;
  storage::MediaStore& store_;
  media::ContentStore& content_;
  http::Scheduler& scheduler_;
  std::unordered_map<std::string, std::int64_t> reserved_;  // user -> bytes being stored
  // Thumbnails that could not be made (content + size -> why), so a bad file is not retried on
  // every request. Bounded.
  std::unordered_map<std::string, media::ThumbnailError> failed_thumbnails_;
  // Thumbnails being made (content + size -> the requests waiting for it).
  std::unordered_map<std::string, std::vector<ThumbnailDone>> making_;
};

// The spec's media ID grammar: [A-Za-z0-9_-]+ (at most 255).
bool valid_media_id(std::string_view id);
// The standard thumbnail a request maps to (client-server-api "Thumbnails"): the smallest of
// the spec's sizes that covers the request, preferring the requested method, and the largest
// (800x600 scale) for anything bigger; and its name in a cache ("96x96-crop").
media::ThumbnailSpec standard_thumbnail(const media::ThumbnailSpec& asked);
std::string thumbnail_name(const media::ThumbnailSpec& spec);
// mxc://server/id -> (server, id); nullopt unless both parts follow the spec's grammar.
std::optional<std::pair<std::string, std::string>> parse_mxc(std::string_view uri);
// The spec's rule: inline only for types that cannot run script.
bool servable_inline(std::string_view content_type);

}  // namespace myelin::homeserver
