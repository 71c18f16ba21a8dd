// Other servers' keys (storage/server_key_store.h).
#include "storage/sqlite/sqlite_store.h"

namespace myelin::storage::sqlite {

std::vector<ServerKeyRecord> SqliteStore::server_keys(const std::string& server_name) {
  std::vector<ServerKeyRecord> keys;
  auto s = db_.prepare(
      "SELECT key_id, public_key, valid_until_ts, expired_ts FROM server_keys WHERE server_name = ? LIMIT 64");
  s.bind(server_name);
  while (s.step()) {
    ServerKeyRecord key{server_name, s.text(0), s.text(1), s.integer(2), std::nullopt};
    if (!s.is_null(3)) key.expired_ts = s.integer(3);
    keys.push_back(std::move(key));
  }
  return keys;
}

void SqliteStore::store_server_keys(const std::string& server_name, const std::vector<ServerKeyRecord>& keys,
                                    const std::string& document, std::int64_t valid_until_ts) {
  DbTransaction transaction(db_);
  for (const ServerKeyRecord& key : keys) {
    auto s = db_.prepare(
        "INSERT INTO server_keys (server_name, key_id, public_key, valid_until_ts, expired_ts) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (server_name, key_id) DO UPDATE SET public_key = excluded.public_key,"
        " valid_until_ts = excluded.valid_until_ts, expired_ts = excluded.expired_ts");
    s.bind(server_name).bind(key.key_id).bind(key.public_key).bind(key.valid_until_ts).bind(key.expired_ts);
    s.run();
    db_.prepare(
           "INSERT INTO server_key_documents (server_name, key_id, json, valid_until_ts) VALUES (?, ?, ?, ?)"
           " ON CONFLICT (server_name, key_id) DO UPDATE SET json = excluded.json,"
           " valid_until_ts = excluded.valid_until_ts")
        .bind(server_name)
        .bind(key.key_id)
        .bind(document)
        .bind(valid_until_ts)
        .run();
  }
  for (const char* table : {"server_keys", "server_key_documents"}) {
    const std::string validity =
        std::string(table) == "server_keys" ? "COALESCE(expired_ts, valid_until_ts)" : "valid_until_ts";
    db_.prepare(std::string("DELETE FROM ") + table + " WHERE server_name = ? AND key_id NOT IN (SELECT key_id FROM " +
                table + " WHERE server_name = ? ORDER BY " + validity + " DESC LIMIT ?)")
        .bind(server_name)
        .bind(server_name)
        .bind(kMaxKeysPerServer)
        .run();
  }
  transaction.commit();
}

std::vector<std::string> SqliteStore::server_key_documents(const std::string& server_name) {
  std::vector<std::string> documents;
  auto s = db_.prepare(
      "SELECT json FROM server_key_documents WHERE server_name = ? GROUP BY json ORDER BY max(valid_until_ts) DESC"
      " LIMIT 16");
  s.bind(server_name);
  while (s.step()) documents.push_back(s.text(0));
  return documents;
}

void SqliteStore::purge_server_keys(std::int64_t before_ts) {
  DbTransaction transaction(db_);
  db_.prepare("DELETE FROM server_keys WHERE COALESCE(expired_ts, valid_until_ts) < ?").bind(before_ts).run();
  db_.prepare("DELETE FROM server_key_documents WHERE valid_until_ts < ?").bind(before_ts).run();
  transaction.commit();
}

}  // namespace myelin::storage::sqlite
