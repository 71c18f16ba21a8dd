// OpenID tokens by digest (storage/openid_store.h).
#include "storage/sqlite/sqlite_store.h"

namespace myelin::storage::sqlite {

void SqliteStore::add_openid_token(const std::string& digest, const std::string& user_id, std::int64_t expires_ts,
                                   std::int64_t now_ms, std::int64_t max_per_user) {
  DbTransaction transaction(db_);
  db_.prepare("DELETE FROM openid_tokens WHERE user_id = ? AND expires_ts <= ?").bind(user_id).bind(now_ms).run();
  std::int64_t kept = 0;
  {
    auto s = db_.prepare("SELECT count(*) FROM openid_tokens WHERE user_id = ?");
    s.bind(user_id);
    if (s.step()) kept = s.integer(0);
  }
  if (const std::int64_t excess = kept + 1 - max_per_user; excess > 0)
    db_.prepare(
           "DELETE FROM openid_tokens WHERE digest IN (SELECT digest FROM openid_tokens WHERE user_id = ?"
           " ORDER BY expires_ts LIMIT ?)")
        .bind(user_id)
        .bind(excess)
        .run();
  db_.prepare("INSERT INTO openid_tokens (digest, user_id, expires_ts) VALUES (?, ?, ?)")
      .bind_blob(digest)
      .bind(user_id)
      .bind(expires_ts)
      .run();
  transaction.commit();
}

std::optional<std::string> SqliteStore::openid_token_user(const std::string& digest, std::int64_t now_ms) {
  auto s = db_.prepare("SELECT user_id FROM openid_tokens WHERE digest = ? AND expires_ts > ?");
  s.bind_blob(digest).bind(now_ms);
  return s.step() ? std::optional(s.text(0)) : std::nullopt;
}

void SqliteStore::purge_openid_tokens(std::int64_t now_ms) {
  db_.prepare("DELETE FROM openid_tokens WHERE expires_ts <= ?").bind(now_ms).run();
}

}  // namespace myelin::storage::sqlite
