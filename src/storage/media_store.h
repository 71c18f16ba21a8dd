#pragma once
// Media metadata (storage/store.h has the contract); the bytes are in media::ContentStore.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/common.h"

namespace myelin::storage {

struct MediaRecord {
  std::string media_id;
  std::string uploader;
  std::string sha256;  // hex digest of the content ("" while pending)
  std::int64_t size = 0;
  std::string content_type;
  std::string upload_name;  // the file name given at upload ("" when none)
  std::int64_t created_ts = 0;
  std::optional<std::int64_t> pending_until;  // created, not uploaded yet: the ID expires then
};

class MediaStore {
 public:
  virtual ~MediaStore() = default;

  virtual bool add_media(const MediaRecord& record) = 0;  // false when the ID exists
  virtual std::optional<MediaRecord> media(const std::string& media_id) = 0;
  // Fills in a pending record (async upload); false unless it was pending.
  virtual bool complete_media(const MediaRecord& record) = 0;
  // The uploader's media, newest first (by creation time, then ID), at most `limit`, after the
  // (created_ts, media_id) of the previous page's last one when given.
  virtual std::vector<MediaRecord> user_media(const std::string& uploader,
                                              const std::optional<std::pair<std::int64_t, std::string>>& after,
                                              std::size_t limit) = 0;
  virtual std::int64_t user_media_bytes(const std::string& uploader) = 0;
  // IDs of the uploader still waiting for their upload at `now_ms`.
  virtual std::int64_t pending_media_count(const std::string& uploader, std::int64_t now_ms) = 0;
  // Deletes the record; returns it (nullopt when unknown).
  virtual std::optional<MediaRecord> delete_media(const std::string& media_id) = 0;
  // How many records use this content.
  virtual std::int64_t media_using_content(const std::string& sha256) = 0;
  // Uploaded media created before `ts`, oldest first, at most `limit`; and pending IDs past
  // their expiry.
  virtual std::vector<MediaRecord> media_created_before(std::int64_t ts, std::size_t limit) = 0;
  virtual std::int64_t delete_expired_pending_media(std::int64_t now_ms) = 0;
};

}  // namespace myelin::storage
