#pragma once
// Server-side key backups (client-server-api "Server-side key backups"): versions with their
// auth_data, and the encrypted room keys in them. Keys are written only to the latest version;
// a key already stored for a session is replaced only by a better one (verified over
// unverified, then the lower first_message_index, then the lower forwarded_count). The server
// cannot read the keys: session_data is stored as given, at most 8192 bytes of it per key, and
// at most E2eeOptions::backup_keys_per_user keys in all of a user's versions. A user keeps at most
// 10 versions (a new one deletes the oldest beyond), each auth_data at most 65536 bytes.
#include <optional>
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/e2ee/options.h"
#include "storage/key_backup_store.h"

namespace myelin::homeserver {

class KeyBackup {
 public:
  KeyBackup(const E2eeOptions& config, storage::KeyBackupStore& store) : config_(config), store_(store) {}

  core::Result<json::object> create_version(const std::string& user_id, const json::object& body);
  // The version named (or the latest when empty): algorithm, auth_data, count, etag, version.
  core::Result<json::object> version(const std::string& user_id, const std::string& version);
  core::Status update_version(const std::string& user_id, const std::string& version, const json::object& body);
  core::Status delete_version(const std::string& user_id, const std::string& version);

  // PUT room_keys/keys[/{roomId}[/{sessionId}]]: the body is {"rooms": ...}, {"sessions": ...}
  // or one key, as the path says. Answers {"etag", "count"}.
  core::Result<json::object> put_keys(const std::string& user_id, const std::string& version,
                                      const std::optional<std::string>& room_id,
                                      const std::optional<std::string>& session_id, const json::object& body);
  core::Result<json::object> get_keys(const std::string& user_id, const std::string& version,
                                      const std::optional<std::string>& room_id,
                                      const std::optional<std::string>& session_id);
  core::Result<json::object> delete_keys(const std::string& user_id, const std::string& version,
                                         const std::optional<std::string>& room_id,
                                         const std::optional<std::string>& session_id);

 private:
  core::Result<storage::BackupVersion> find(const std::string& user_id, const std::string& version);
  // {"etag", "count"}: the answer to a change of the version's keys.
  json::object keys_summary(const std::string& user_id, std::int64_t version);
  const E2eeOptions& config_;
  storage::KeyBackupStore& store_;
};

}  // namespace myelin::homeserver
