// Server-side key backup: versions (never renumbered) and the room keys stored in them.
#include "storage/sqlite/sqlite_store.h"

namespace myelin::storage::sqlite {
namespace {

// " AND room_id = ?" / " AND session_id = ?" for the narrowing that is given.
std::string narrowing(const std::optional<std::string>& room_id, const std::optional<std::string>& session_id) {
  std::string sql;
  if (room_id) sql += " AND room_id = ?";
  if (session_id) sql += " AND session_id = ?";
  return sql;
}

void bind_narrowing(Statement& s, const std::optional<std::string>& room_id,
                    const std::optional<std::string>& session_id) {
  if (room_id) s.bind(*room_id);
  if (session_id) s.bind(*session_id);
}

}  // namespace

std::int64_t SqliteStore::create_backup_version(const std::string& user_id, const std::string& algorithm,
                                                const std::string& auth_data, std::int64_t max_versions) {
  DbTransaction transaction(db_);
  std::int64_t version = 1;
  {
    auto s = db_.prepare("SELECT max(version) FROM backup_versions WHERE user_id = ?");
    s.bind(user_id);
    if (s.step() && !s.is_null(0)) version = s.integer(0) + 1;
  }
  std::vector<std::int64_t> oldest;
  {
    auto s = db_.prepare("SELECT version FROM backup_versions WHERE user_id = ? AND deleted = 0 ORDER BY version");
    s.bind(user_id);
    while (s.step()) oldest.push_back(s.integer(0));
  }
  const auto excess = static_cast<std::int64_t>(oldest.size()) + 1 - max_versions;
  for (std::int64_t i = 0; i < excess && i < static_cast<std::int64_t>(oldest.size()); ++i)
    drop_backup_version(user_id, oldest[static_cast<std::size_t>(i)]);
  db_.prepare(
         "INSERT INTO backup_versions (user_id, version, algorithm, auth_data, etag, deleted, keys)"
         " VALUES (?, ?, ?, ?, 0, 0, 0)")
      .bind(user_id)
      .bind(version)
      .bind(algorithm)
      .bind(auth_data)
      .run();
  // Deleted versions only keep the numbering: the newest row is enough for that.
  db_.prepare("DELETE FROM backup_versions WHERE user_id = ? AND deleted = 1 AND version < ?")
      .bind(user_id)
      .bind(version)
      .run();
  transaction.commit();
  return version;
}

void SqliteStore::drop_backup_version(const std::string& user_id, std::int64_t version) {
  db_.prepare("UPDATE backup_versions SET deleted = 1, auth_data = '{}', keys = 0 WHERE user_id = ? AND version = ?")
      .bind(user_id)
      .bind(version)
      .run();
  db_.prepare("DELETE FROM backup_keys WHERE user_id = ? AND version = ?").bind(user_id).bind(version).run();
}

std::optional<BackupVersion> SqliteStore::backup_version(const std::string& user_id,
                                                         std::optional<std::int64_t> version) {
  std::optional<BackupVersion> out;
  {
    auto s = db_.prepare(version ? "SELECT version, algorithm, auth_data, etag FROM backup_versions"
                                   " WHERE user_id = ? AND deleted = 0 AND version = ?"
                                 : "SELECT version, algorithm, auth_data, etag FROM backup_versions"
                                   " WHERE user_id = ? AND deleted = 0 ORDER BY version DESC LIMIT 1");
    s.bind(user_id);
    if (version) s.bind(*version);
    if (s.step()) out = BackupVersion{s.integer(0), s.text(1), s.text(2), s.integer(3)};
  }
  return out;
}

std::int64_t SqliteStore::backup_key_count(const std::string& user_id, std::int64_t version) {
  auto s = db_.prepare("SELECT keys FROM backup_versions WHERE user_id = ? AND version = ?");
  s.bind(user_id).bind(version);
  return s.step() ? s.integer(0) : 0;
}

std::int64_t SqliteStore::user_backup_key_count(const std::string& user_id) {
  auto s = db_.prepare("SELECT coalesce(sum(keys), 0) FROM backup_versions WHERE user_id = ?");
  s.bind(user_id);
  return s.step() ? s.integer(0) : 0;
}

bool SqliteStore::update_backup_version(const std::string& user_id, std::int64_t version,
                                        const std::string& auth_data) {
  db_.prepare("UPDATE backup_versions SET auth_data = ? WHERE user_id = ? AND version = ? AND deleted = 0")
      .bind(auth_data)
      .bind(user_id)
      .bind(version)
      .run();
  return db_.changes() > 0;
}

bool SqliteStore::delete_backup_version(const std::string& user_id, std::int64_t version) {
  DbTransaction transaction(db_);
  if (!backup_version(user_id, version)) return false;
  drop_backup_version(user_id, version);
  transaction.commit();
  return true;
}

std::vector<BackupKey> SqliteStore::backup_keys(const std::string& user_id, std::int64_t version,
                                                const std::optional<std::string>& room_id,
                                                const std::optional<std::string>& session_id) {
  std::vector<BackupKey> out;
  auto s = db_.prepare(
      "SELECT room_id, session_id, first_message_index, forwarded_count, is_verified, session_data"
      " FROM backup_keys WHERE user_id = ? AND version = ?" +
      narrowing(room_id, session_id));
  s.bind(user_id).bind(version);
  bind_narrowing(s, room_id, session_id);
  while (s.step()) out.push_back({s.text(0), s.text(1), s.integer(2), s.integer(3), s.integer(4) != 0, s.text(5)});
  return out;
}

void SqliteStore::put_backup_keys(const std::string& user_id, std::int64_t version,
                                  const std::vector<BackupKey>& keys) {
  DbTransaction transaction(db_);
  std::int64_t added = 0;
  for (const auto& key : keys) {
    db_.prepare(
           "INSERT OR IGNORE INTO backup_keys (user_id, version, room_id, session_id, first_message_index,"
           " forwarded_count, is_verified, session_data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(user_id)
        .bind(version)
        .bind(key.room_id)
        .bind(key.session_id)
        .bind(key.first_message_index)
        .bind(key.forwarded_count)
        .bind(key.is_verified)
        .bind(key.session_data)
        .run();
    if (db_.changes() > 0) {
      ++added;
      continue;
    }
    db_.prepare(
           "UPDATE backup_keys SET first_message_index = ?, forwarded_count = ?, is_verified = ?, session_data = ?"
           " WHERE user_id = ? AND version = ? AND room_id = ? AND session_id = ?")
        .bind(key.first_message_index)
        .bind(key.forwarded_count)
        .bind(key.is_verified)
        .bind(key.session_data)
        .bind(user_id)
        .bind(version)
        .bind(key.room_id)
        .bind(key.session_id)
        .run();
  }
  if (!keys.empty())
    db_.prepare("UPDATE backup_versions SET etag = etag + 1, keys = keys + ? WHERE user_id = ? AND version = ?")
        .bind(added)
        .bind(user_id)
        .bind(version)
        .run();
  transaction.commit();
}

void SqliteStore::delete_backup_keys(const std::string& user_id, std::int64_t version,
                                     const std::optional<std::string>& room_id,
                                     const std::optional<std::string>& session_id) {
  DbTransaction transaction(db_);
  {
    auto s = db_.prepare("DELETE FROM backup_keys WHERE user_id = ? AND version = ?" + narrowing(room_id, session_id));
    s.bind(user_id).bind(version);
    bind_narrowing(s, room_id, session_id);
    s.run();
  }
  if (const std::int64_t deleted = db_.changes(); deleted > 0)
    db_.prepare("UPDATE backup_versions SET etag = etag + 1, keys = keys - ? WHERE user_id = ? AND version = ?")
        .bind(deleted)
        .bind(user_id)
        .bind(version)
        .run();
  transaction.commit();
}

}  // namespace myelin::storage::sqlite
