// End-to-end encryption: device keys, one-time and fallback keys, cross-signing keys and their
// signatures, device-list changes and to-device inboxes.
#include "storage/sqlite/sqlite_store.h"

#include <map>

namespace myelin::storage::sqlite {

void SqliteStore::record_device_list_change(const std::string& user_id, const std::string& observer, StreamPos pos) {
  db_.prepare(
         "INSERT INTO device_list_changes (user_id, observer, pos) VALUES (?, ?, ?)"
         " ON CONFLICT (user_id, observer) DO UPDATE SET pos = excluded.pos")
      .bind(user_id)
      .bind(observer)
      .bind(pos)
      .run();
  device_lists_newest_ = std::max(device_lists_newest_, pos);  // at worst too high after a rollback
}

void SqliteStore::upload_keys(const std::string& user_id, const std::string& device_id, const KeyUpload& upload) {
  DbTransaction transaction(db_);
  StreamPos changed_at = 0;
  if (upload.device_keys && device_keys(user_id, device_id) != upload.device_keys) {
    db_.prepare(
           "INSERT INTO device_keys (user_id, device_id, json) VALUES (?, ?, ?)"
           " ON CONFLICT (user_id, device_id) DO UPDATE SET json = excluded.json")
        .bind(user_id)
        .bind(device_id)
        .bind(*upload.device_keys)
        .run();
    // Signatures stored for the old keys no longer hold.
    db_.prepare("DELETE FROM key_signatures WHERE target_user = ? AND target_key = ?")
        .bind(user_id)
        .bind(device_id)
        .run();
    changed_at = next_pos();
    record_device_list_change(user_id, "", changed_at);
  }
  // In the upload's order: seq is the order in which /keys/claim hands them out. A key ID
  // already stored (the same key uploaded again) is left as it is.
  for (const auto& key : upload.one_time_keys)
    db_.prepare(
           "INSERT INTO one_time_keys (user_id, device_id, algorithm, seq, key_id, json)"
           " SELECT ?1, ?2, ?3, (SELECT coalesce(max(seq), 0) + 1 FROM one_time_keys"
           "                     WHERE user_id = ?1 AND device_id = ?2 AND algorithm = ?3), ?4, ?5"
           " WHERE NOT EXISTS (SELECT 1 FROM one_time_keys"
           "                   WHERE user_id = ?1 AND device_id = ?2 AND algorithm = ?3 AND key_id = ?4)")
        .bind(user_id)
        .bind(device_id)
        .bind(key.algorithm)
        .bind(key.key_id)
        .bind(key.json)
        .run();
  for (const auto& key : upload.fallback_keys)
    // The same key uploaded again keeps its used flag; a new one starts unused.
    db_.prepare(
           "INSERT INTO fallback_keys (user_id, device_id, algorithm, key_id, json, used) VALUES (?, ?, ?, ?, ?, 0)"
           " ON CONFLICT (user_id, device_id, algorithm) DO UPDATE SET key_id = excluded.key_id,"
           " json = excluded.json, used = CASE WHEN fallback_keys.json = excluded.json THEN fallback_keys.used ELSE 0 "
           "END")
        .bind(user_id)
        .bind(device_id)
        .bind(key.algorithm)
        .bind(key.key_id)
        .bind(key.json)
        .run();
  transaction.commit();
  if (changed_at) pos_ = changed_at;
}

std::optional<std::string> SqliteStore::device_keys(const std::string& user_id, const std::string& device_id) {
  auto s = db_.prepare("SELECT json FROM device_keys WHERE user_id = ? AND device_id = ?");
  s.bind(user_id).bind(device_id);
  return s.step() ? std::optional(s.text(0)) : std::nullopt;
}

std::map<std::string, std::string> SqliteStore::user_device_keys(const std::string& user_id) {
  std::map<std::string, std::string> out;
  auto s = db_.prepare("SELECT device_id, json FROM device_keys WHERE user_id = ?");
  s.bind(user_id);
  while (s.step()) out.emplace(s.text(0), s.text(1));
  return out;
}

std::optional<std::string> SqliteStore::one_time_key(const std::string& user_id, const std::string& device_id,
                                                     const std::string& algorithm, const std::string& key_id) {
  auto s = db_.prepare(
      "SELECT json FROM one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ? AND key_id = ?");
  s.bind(user_id).bind(device_id).bind(algorithm).bind(key_id);
  return s.step() ? std::optional(s.text(0)) : std::nullopt;
}

KeyCounts SqliteStore::key_counts(const std::string& user_id, const std::string& device_id) {
  KeyCounts counts;
  auto s = db_.prepare(
      "SELECT algorithm, count(*), 0 FROM one_time_keys WHERE user_id = ?1 AND device_id = ?2 GROUP BY algorithm"
      " UNION ALL SELECT algorithm, used, 1 FROM fallback_keys WHERE user_id = ?1 AND device_id = ?2");
  s.bind(user_id).bind(device_id);
  while (s.step()) {
    if (!s.integer(2)) {
      counts.one_time.emplace(s.text(0), s.integer(1));
      continue;
    }
    counts.fallback.push_back(s.text(0));
    if (!s.integer(1)) counts.unused_fallback.push_back(s.text(0));
  }
  return counts;
}

std::optional<OneTimeKey> SqliteStore::claim_key(const std::string& user_id, const std::string& device_id,
                                                 const std::string& algorithm) {
  DbTransaction transaction(db_);
  std::optional<OneTimeKey> key;
  std::int64_t seq = 0;
  {
    // The oldest upload first (v1.13): the first row of the device's keys.
    auto s = db_.prepare(
        "SELECT seq, key_id, json FROM one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ?"
        " ORDER BY seq LIMIT 1");
    s.bind(user_id).bind(device_id).bind(algorithm);
    if (s.step()) {
      seq = s.integer(0);
      key = OneTimeKey{algorithm, s.text(1), s.text(2)};
    }
  }
  if (key) {
    db_.prepare("DELETE FROM one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ? AND seq = ?")
        .bind(user_id)
        .bind(device_id)
        .bind(algorithm)
        .bind(seq)
        .run();
  } else {
    auto s =
        db_.prepare("SELECT key_id, json FROM fallback_keys WHERE user_id = ? AND device_id = ? AND algorithm = ?");
    s.bind(user_id).bind(device_id).bind(algorithm);
    if (s.step()) key = OneTimeKey{algorithm, s.text(0), s.text(1)};
    if (key)
      db_.prepare("UPDATE fallback_keys SET used = 1 WHERE user_id = ? AND device_id = ? AND algorithm = ?")
          .bind(user_id)
          .bind(device_id)
          .bind(algorithm)
          .run();
  }
  transaction.commit();
  return key;
}

std::map<std::string, std::string> SqliteStore::cross_signing_keys(const std::string& user_id) {
  std::map<std::string, std::string> out;
  auto s = db_.prepare("SELECT key_type, json FROM cross_signing_keys WHERE user_id = ?");
  s.bind(user_id);
  while (s.step()) out.emplace(s.text(0), s.text(1));
  return out;
}

void SqliteStore::set_cross_signing_keys(const std::string& user_id, const std::map<std::string, std::string>& keys) {
  DbTransaction transaction(db_);
  for (const auto& [type, json] : keys)
    db_.prepare(
           "INSERT INTO cross_signing_keys (user_id, key_type, json) VALUES (?, ?, ?)"
           " ON CONFLICT (user_id, key_type) DO UPDATE SET json = excluded.json")
        .bind(user_id)
        .bind(type)
        .bind(json)
        .run();
  const StreamPos pos = next_pos();
  record_device_list_change(user_id, "", pos);
  transaction.commit();
  pos_ = pos;
}

void SqliteStore::add_key_signatures(const std::vector<KeySignature>& signatures) {
  if (signatures.empty()) return;
  DbTransaction transaction(db_);
  const StreamPos pos = next_pos();
  for (const auto& signature : signatures) {
    db_.prepare(
           "INSERT INTO key_signatures (target_user, target_key, signer, signer_key, signature) VALUES (?, ?, ?, ?, ?)"
           " ON CONFLICT (target_user, target_key, signer, signer_key) DO UPDATE SET signature = excluded.signature")
        .bind(signature.target_user)
        .bind(signature.target_key)
        .bind(signature.signer)
        .bind(signature.signer_key)
        .bind(signature.signature)
        .run();
    const bool own = signature.signer == signature.target_user;
    record_device_list_change(signature.target_user, own ? "" : signature.signer, pos);
  }
  transaction.commit();
  pos_ = pos;
}

std::vector<KeySignature> SqliteStore::key_signatures(const std::string& target_user, const std::string& viewer) {
  std::vector<KeySignature> out;
  auto s = db_.prepare(
      "SELECT target_key, signer, signer_key, signature FROM key_signatures WHERE target_user = ?1"
      " AND (signer = ?1 OR signer = ?2)");
  s.bind(target_user).bind(viewer);
  while (s.step()) out.push_back({target_user, s.text(0), s.text(1), s.text(2), s.text(3)});
  return out;
}

StreamPos SqliteStore::latest_device_list_change(const std::string& user_id) {
  auto s = db_.prepare("SELECT pos FROM device_list_changes WHERE user_id = ? AND observer = ''");
  s.bind(user_id);
  return s.step() ? s.integer(0) : 0;
}

std::vector<std::string> SqliteStore::device_list_changes(StreamPos since, StreamPos upto,
                                                          const std::string& observer) {
  std::vector<std::string> out;
  if (device_lists_newest_ < 0) {
    auto newest = db_.prepare("SELECT coalesce(max(pos), 0) FROM device_list_changes");
    device_lists_newest_ = newest.step() ? newest.integer(0) : 0;
  }
  if (device_lists_newest_ <= since) return out;
  auto s = db_.prepare(
      "SELECT DISTINCT user_id FROM device_list_changes WHERE pos > ? AND pos <= ? AND (observer = '' OR observer = "
      "?)");
  s.bind(since).bind(upto).bind(observer);
  while (s.step()) out.push_back(s.text(0));
  return out;
}

void SqliteStore::mark_device_list_changed(const std::string& user_id) {
  DbTransaction transaction(db_);
  const StreamPos pos = next_pos();
  record_device_list_change(user_id, "", pos);
  transaction.commit();
  pos_ = pos;
}

bool SqliteStore::add_to_device(const std::vector<ToDeviceMessage>& messages, const std::optional<Transaction>& txn,
                                const InboxLimits& limits) {
  DbTransaction transaction(db_);
  if (txn && !record_new_transaction(*txn)) return false;
  StreamPos pos = pos_;
  // Each inbox's size after this request's messages, from the upsert itself.
  std::map<std::pair<std::string, std::string>, InboxSize> sizes;
  for (const auto& message : messages) {
    db_.prepare(
           "INSERT INTO to_device_inbox (user_id, device_id, pos, sender, type, content) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(message.user_id)
        .bind(message.device_id)
        .bind(++pos)
        .bind(message.sender)
        .bind(message.type)
        .bind(message.content)
        .run();
    auto size = db_.prepare(
        "INSERT INTO to_device_inbox_sizes (user_id, device_id, messages, bytes) VALUES (?, ?, 1, ?)"
        " ON CONFLICT (user_id, device_id) DO UPDATE SET messages = messages + 1, bytes = bytes + excluded.bytes"
        " RETURNING messages, bytes");
    size.bind(message.user_id).bind(message.device_id).bind(static_cast<std::int64_t>(message.content.size()));
    if (size.step()) sizes[{message.user_id, message.device_id}] = {size.integer(0), size.integer(1)};
  }
  for (const auto& [inbox, size] : sizes) trim_inbox(inbox.first, inbox.second, size, limits);
  db_.prepare("UPDATE stream SET pos = ? WHERE id = 1").bind(pos).run();
  transaction.commit();
  pos_ = pos;
  for (const auto& message : messages) inbox_bounds(message.user_id, message.device_id).newest = pos;
  return true;
}

std::vector<ToDeviceMessage> SqliteStore::to_device_inbox(const std::string& user_id, const std::string& device_id,
                                                          StreamPos after, std::size_t limit) {
  std::vector<ToDeviceMessage> out;
  InboxBounds& bounds = inbox_bounds(user_id, device_id);
  if (bounds.newest >= 0 && bounds.newest <= after) return out;
  auto s = db_.prepare(
      "SELECT pos, sender, type, content FROM to_device_inbox WHERE user_id = ? AND device_id = ? AND pos > ?"
      " ORDER BY pos LIMIT ?");
  s.bind(user_id).bind(device_id).bind(after).bind(static_cast<std::int64_t>(limit));
  while (s.step()) out.push_back({user_id, device_id, s.text(1), s.text(2), s.text(3), s.integer(0)});
  if (out.size() < limit) bounds.newest = out.empty() ? after : out.back().pos;
  return out;
}

void SqliteStore::trim_inbox(const std::string& user_id, const std::string& device_id, InboxSize size,
                             const InboxLimits& limits) {
  auto& [messages, bytes] = size;
  auto over = [&] {
    return (limits.messages > 0 && messages > limits.messages) || (limits.bytes > 0 && bytes > limits.bytes);
  };
  if (!over()) return;
  StreamPos drop_up_to = -1;
  std::int64_t dropped_messages = 0, dropped_bytes = 0;
  {
    auto s = db_.prepare(
        "SELECT pos, length(CAST(content AS BLOB)) FROM to_device_inbox WHERE user_id = ? AND device_id = ?"
        " ORDER BY pos");
    s.bind(user_id).bind(device_id);
    while (over() && s.step()) {
      drop_up_to = s.integer(0);
      --messages, ++dropped_messages;
      bytes -= s.integer(1), dropped_bytes += s.integer(1);
    }
  }
  drop_inbox_rows(user_id, device_id, drop_up_to, dropped_messages, dropped_bytes);
}

void SqliteStore::delete_inbox_up_to(const std::string& user_id, const std::string& device_id, StreamPos up_to) {
  std::int64_t messages = 0, bytes = 0;
  {
    auto s = db_.prepare(
        "SELECT count(*), coalesce(sum(length(CAST(content AS BLOB))), 0) FROM to_device_inbox"
        " WHERE user_id = ? AND device_id = ? AND pos <= ?");
    s.bind(user_id).bind(device_id).bind(up_to);
    if (s.step()) messages = s.integer(0), bytes = s.integer(1);
  }
  drop_inbox_rows(user_id, device_id, up_to, messages, bytes);
}

void SqliteStore::drop_inbox_rows(const std::string& user_id, const std::string& device_id, StreamPos up_to,
                                  std::int64_t messages, std::int64_t bytes) {
  if (messages == 0) return;
  db_.prepare("DELETE FROM to_device_inbox WHERE user_id = ? AND device_id = ? AND pos <= ?")
      .bind(user_id)
      .bind(device_id)
      .bind(up_to)
      .run();
  db_.prepare(
         "UPDATE to_device_inbox_sizes SET messages = messages - ?, bytes = bytes - ?"
         " WHERE user_id = ? AND device_id = ?")
      .bind(messages)
      .bind(bytes)
      .bind(user_id)
      .bind(device_id)
      .run();
  db_.prepare("DELETE FROM to_device_inbox_sizes WHERE user_id = ? AND device_id = ? AND messages <= 0")
      .bind(user_id)
      .bind(device_id)
      .run();
}

void SqliteStore::ack_to_device(const std::string& user_id, const std::string& device_id, StreamPos up_to) {
  InboxBounds& bounds = inbox_bounds(user_id, device_id);
  if (bounds.newest >= 0 && bounds.deleted_up_to >= std::min(bounds.newest, up_to)) return;
  DbTransaction transaction(db_);
  delete_inbox_up_to(user_id, device_id, up_to);
  transaction.commit();
  bounds.deleted_up_to = std::max(bounds.deleted_up_to, up_to);
}

std::int64_t SqliteStore::expire_idle_inboxes(std::int64_t seen_before_ts) {
  DbTransaction transaction(db_);
  std::vector<std::pair<std::string, std::string>> idle;
  {
    // One row per non-empty inbox; the devices are looked up by their key.
    auto s = db_.prepare(
        "SELECT i.user_id, i.device_id FROM to_device_inbox_sizes i JOIN devices d"
        " ON d.user_id = i.user_id AND d.device_id = i.device_id WHERE d.last_seen_ts < ?");
    s.bind(seen_before_ts);
    while (s.step()) idle.emplace_back(s.text(0), s.text(1));
  }
  std::int64_t expired = 0;
  for (const auto& [user_id, device_id] : idle) {
    db_.prepare("DELETE FROM to_device_inbox WHERE user_id = ? AND device_id = ?").bind(user_id).bind(device_id).run();
    expired += db_.changes();
    db_.prepare("DELETE FROM to_device_inbox_sizes WHERE user_id = ? AND device_id = ?")
        .bind(user_id)
        .bind(device_id)
        .run();
  }
  transaction.commit();
  for (const auto& [user_id, device_id] : idle) inboxes_.erase(user_id + '|' + device_id);
  return expired;
}

}  // namespace myelin::storage::sqlite
