#pragma once
// Server-side key backups (storage/store.h has the contract): numbered versions per user and
// the encrypted room keys in them, counted with their version.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/common.h"

namespace myelin::storage {

struct BackupVersion {
  std::int64_t version = 0;
  std::string algorithm;
  std::string auth_data;  // JSON text
  std::int64_t etag = 0;  // changes with every change of its keys
};

struct BackupKey {
  std::string room_id, session_id;
  std::int64_t first_message_index = 0;
  std::int64_t forwarded_count = 0;
  bool is_verified = false;
  std::string session_data;  // JSON text
};

class KeyBackupStore {
 public:
  virtual ~KeyBackupStore() = default;

  // A new version, numbered above every earlier one; beyond `max_versions` the oldest are
  // deleted, with their keys.
  virtual std::int64_t create_backup_version(const std::string& user_id, const std::string& algorithm,
                                             const std::string& auth_data, std::int64_t max_versions) = 0;
  // The given version, or the latest when nullopt; nullopt when it does not exist (or was deleted).
  virtual std::optional<BackupVersion> backup_version(const std::string& user_id,
                                                      std::optional<std::int64_t> version) = 0;
  // Key counts are kept with the versions: no keys are counted.
  virtual std::int64_t backup_key_count(const std::string& user_id, std::int64_t version) = 0;
  // Keys in all of the user's versions.
  virtual std::int64_t user_backup_key_count(const std::string& user_id) = 0;
  virtual bool update_backup_version(const std::string& user_id, std::int64_t version,
                                     const std::string& auth_data) = 0;
  // Deletes the version with its keys; its number is never reused.
  virtual bool delete_backup_version(const std::string& user_id, std::int64_t version) = 0;
  // Keys of the version, narrowed to a room and a session when given.
  virtual std::vector<BackupKey> backup_keys(const std::string& user_id, std::int64_t version,
                                             const std::optional<std::string>& room_id,
                                             const std::optional<std::string>& session_id) = 0;
  // Inserts or replaces the keys (the caller has applied the replacement rules); new etag.
  virtual void put_backup_keys(const std::string& user_id, std::int64_t version,
                               const std::vector<BackupKey>& keys) = 0;
  virtual void delete_backup_keys(const std::string& user_id, std::int64_t version,
                                  const std::optional<std::string>& room_id,
                                  const std::optional<std::string>& session_id) = 0;
};

}  // namespace myelin::storage
