// Users, devices, access tokens, client IPs and registration tokens.
#include "storage/sqlite/sqlite_store.h"

namespace myelin::storage::sqlite {

bool SqliteStore::create_user(const UserRecord& user) {
  db_.prepare(
         "INSERT OR IGNORE INTO users (user_id, password_hash, admin, deactivated, created_ts, displayname, avatar_url,"
         " guest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(user.user_id)
      .bind(user.password_hash)
      .bind(user.admin)
      .bind(user.deactivated)
      .bind(user.created_ts)
      .bind(user.displayname)
      .bind(user.avatar_url)
      .bind(user.guest)
      .run();
  return db_.changes() == 1;
}

std::optional<UserRecord> SqliteStore::user(const std::string& user_id) {
  auto s = db_.prepare(
      "SELECT password_hash, admin, deactivated, created_ts, displayname, avatar_url, guest FROM users WHERE user_id = "
      "?");
  s.bind(user_id);
  if (!s.step()) return std::nullopt;
  return UserRecord{user_id,      s.text(0), s.integer(1) != 0, s.integer(2) != 0,
                    s.integer(3), s.text(4), s.text(5),         s.integer(6) != 0};
}

void SqliteStore::set_password_hash(const std::string& user_id, const std::string& hash) {
  db_.prepare("UPDATE users SET password_hash = ? WHERE user_id = ?").bind(hash).bind(user_id).run();
}

bool SqliteStore::upgrade_guest(const std::string& user_id, const std::string& hash) {
  db_.prepare("UPDATE users SET password_hash = ?, guest = 0 WHERE user_id = ? AND guest = 1")
      .bind(hash)
      .bind(user_id)
      .run();
  return db_.changes() == 1;
}

void SqliteStore::set_deactivated(const std::string& user_id) {
  db_.prepare(
         "UPDATE users SET deactivated = 1, password_hash = '', displayname = '', avatar_url = '' WHERE user_id = ?")
      .bind(user_id)
      .run();
}

void SqliteStore::set_displayname(const std::string& user_id, const std::string& name) {
  db_.prepare("UPDATE users SET displayname = ? WHERE user_id = ?").bind(name).bind(user_id).run();
}

void SqliteStore::set_avatar_url(const std::string& user_id, const std::string& url) {
  db_.prepare("UPDATE users SET avatar_url = ? WHERE user_id = ?").bind(url).bind(user_id).run();
}

void SqliteStore::upsert_device(const DeviceRecord& device) {
  db_.prepare(
         "INSERT INTO devices (user_id, device_id, display_name, last_seen_ts, last_seen_ip) VALUES (?, ?, ?, ?, ?)"
         " ON CONFLICT (user_id, device_id) DO UPDATE SET"
         " display_name = CASE WHEN excluded.display_name = '' THEN display_name ELSE excluded.display_name END,"
         " last_seen_ts = excluded.last_seen_ts,"
         " last_seen_ip = CASE WHEN excluded.last_seen_ip = '' THEN last_seen_ip ELSE excluded.last_seen_ip END")
      .bind(device.user_id)
      .bind(device.device_id)
      .bind(device.display_name)
      .bind(device.last_seen_ts)
      .bind(device.last_seen_ip)
      .run();
}

std::optional<DeviceRecord> SqliteStore::device(const std::string& user_id, const std::string& device_id) {
  auto s =
      db_.prepare("SELECT display_name, last_seen_ts, last_seen_ip FROM devices WHERE user_id = ? AND device_id = ?");
  s.bind(user_id).bind(device_id);
  if (!s.step()) return std::nullopt;
  return DeviceRecord{user_id, device_id, s.text(0), s.integer(1), s.text(2)};
}

std::vector<DeviceRecord> SqliteStore::devices(const std::string& user_id) {
  std::vector<DeviceRecord> out;
  auto s = db_.prepare(
      "SELECT device_id, display_name, last_seen_ts, last_seen_ip FROM devices WHERE user_id = ? ORDER BY device_id");
  s.bind(user_id);
  while (s.step()) out.push_back({user_id, s.text(0), s.text(1), s.integer(2), s.text(3)});
  return out;
}

void SqliteStore::rename_device(const std::string& user_id, const std::string& device_id, const std::string& name) {
  db_.prepare("UPDATE devices SET display_name = ? WHERE user_id = ? AND device_id = ?")
      .bind(name)
      .bind(user_id)
      .bind(device_id)
      .run();
}

void SqliteStore::delete_device(const std::string& user_id, const std::string& device_id) {
  DbTransaction transaction(db_);
  for (const char* sql : {"DELETE FROM devices WHERE user_id = ? AND device_id = ?",
                          "DELETE FROM access_tokens WHERE user_id = ? AND device_id = ?",
                          "DELETE FROM client_ips WHERE user_id = ? AND device_id = ?",
                          "DELETE FROM device_keys WHERE user_id = ? AND device_id = ?",
                          "DELETE FROM one_time_keys WHERE user_id = ? AND device_id = ?",
                          "DELETE FROM fallback_keys WHERE user_id = ? AND device_id = ?",
                          "DELETE FROM to_device_inbox WHERE user_id = ? AND device_id = ?",
                          "DELETE FROM to_device_inbox_sizes WHERE user_id = ? AND device_id = ?",
                          "DELETE FROM pushers WHERE user_id = ? AND device_id = ?",
                          "DELETE FROM key_signatures WHERE target_user = ? AND target_key = ?"})
    db_.prepare(sql).bind(user_id).bind(device_id).run();
  forget_device_transactions(user_id, device_id);
  const StreamPos pos = next_pos();
  record_device_list_change(user_id, "", pos);
  transaction.commit();
  pos_ = pos;
  inboxes_.erase(user_id + '|' + device_id);
}

void SqliteStore::record_client_ip(const std::string& user_id, const std::string& device_id,
                                   const std::string& truncated_ip, std::int64_t ts) {
  db_.prepare(
         "INSERT INTO client_ips (user_id, device_id, ip, last_seen) VALUES (?, ?, ?, ?)"
         " ON CONFLICT (user_id, device_id, ip) DO UPDATE SET last_seen = excluded.last_seen")
      .bind(user_id)
      .bind(device_id)
      .bind(truncated_ip)
      .bind(ts)
      .run();
}

void SqliteStore::purge_client_ips(std::int64_t older_than_ts) {
  DbTransaction transaction(db_);
  db_.prepare("DELETE FROM client_ips WHERE last_seen < ?").bind(older_than_ts).run();
  db_.prepare("UPDATE devices SET last_seen_ip = '' WHERE last_seen_ts < ?").bind(older_than_ts).run();
  transaction.commit();
}

void SqliteStore::add_access_token(const std::string& digest, const TokenOwner& owner) {
  db_.prepare("INSERT INTO access_tokens (digest, user_id, device_id) VALUES (?, ?, ?)")
      .bind_blob(digest)
      .bind(owner.user_id)
      .bind(owner.device_id)
      .run();
}

std::optional<TokenOwner> SqliteStore::token_owner(const std::string& digest) {
  auto s = db_.prepare("SELECT user_id, device_id FROM access_tokens WHERE digest = ?");
  s.bind_blob(digest);
  if (!s.step()) return std::nullopt;
  return TokenOwner{s.text(0), s.text(1)};
}

void SqliteStore::revoke_device_tokens(const std::string& user_id, const std::string& device_id) {
  db_.prepare("DELETE FROM access_tokens WHERE user_id = ? AND device_id = ?").bind(user_id).bind(device_id).run();
}

void SqliteStore::add_registration_token(const RegistrationToken& token) {
  db_.prepare(
         "INSERT INTO registration_tokens (token, uses_allowed, pending, completed, expiry_time) VALUES (?, ?, ?, ?, "
         "?)")
      .bind(token.token)
      .bind(token.uses_allowed)
      .bind(token.pending)
      .bind(token.completed)
      .bind(token.expiry_time)
      .run();
}

std::vector<RegistrationToken> SqliteStore::registration_tokens() {
  std::vector<RegistrationToken> out;
  auto s = db_.prepare(
      "SELECT token, uses_allowed, pending, completed, expiry_time FROM registration_tokens ORDER BY token");
  while (s.step()) out.push_back({s.text(0), s.optional_integer(1), s.integer(2), s.integer(3), s.optional_integer(4)});
  return out;
}

std::optional<RegistrationToken> SqliteStore::registration_token(const std::string& token) {
  auto s = db_.prepare("SELECT uses_allowed, pending, completed, expiry_time FROM registration_tokens WHERE token = ?");
  s.bind(token);
  if (!s.step()) return std::nullopt;
  return RegistrationToken{token, s.optional_integer(0), s.integer(1), s.integer(2), s.optional_integer(3)};
}

bool SqliteStore::delete_registration_token(const std::string& token) {
  db_.prepare("DELETE FROM registration_tokens WHERE token = ?").bind(token).run();
  return db_.changes() == 1;
}

bool SqliteStore::use_registration_token(const std::string& token, std::int64_t now_ms) {
  db_.prepare(
         "UPDATE registration_tokens SET completed = completed + 1 WHERE token = ?"
         " AND (expiry_time IS NULL OR expiry_time > ?)"
         " AND (uses_allowed IS NULL OR completed + pending < uses_allowed)")
      .bind(token)
      .bind(now_ms)
      .run();
  return db_.changes() == 1;
}

std::vector<ThreepidBind> SqliteStore::threepid_binds(const std::string& user_id) {
  std::vector<ThreepidBind> out;
  auto s = db_.prepare("SELECT medium, address, id_server FROM threepid_binds WHERE user_id = ? ORDER BY rowid");
  s.bind(user_id);
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2)});
  return out;
}

void SqliteStore::add_threepid_bind(const std::string& user_id, const ThreepidBind& bind) {
  db_.prepare("INSERT OR IGNORE INTO threepid_binds (user_id, medium, address, id_server) VALUES (?, ?, ?, ?)")
      .bind(user_id)
      .bind(bind.medium)
      .bind(bind.address)
      .bind(bind.id_server)
      .run();
}

void SqliteStore::remove_threepid_bind(const std::string& user_id, const ThreepidBind& bind) {
  db_.prepare("DELETE FROM threepid_binds WHERE user_id = ? AND medium = ? AND address = ? AND id_server = ?")
      .bind(user_id)
      .bind(bind.medium)
      .bind(bind.address)
      .bind(bind.id_server)
      .run();
}

}  // namespace myelin::storage::sqlite
