// Rooms' events: the atomic persist path and the reads /sync and /messages use.
#include "storage/sqlite/sqlite_store.h"

#include <ctime>

#include "storage/sqlite/txn_key.h"

namespace myelin::storage::sqlite {

const char* const kEventColumns =
    "pos, event_id, room_id, type, state_key, sender, depth, origin_server_ts, json, redacted_by, replaces_state,"
    " state_group, txn_device, txn_id";

StoredEvent read_event(const Statement& s) {
  StoredEvent e;
  e.pos = s.integer(0);
  e.event_id = s.text(1);
  e.room_id = s.text(2);
  e.type = s.text(3);
  e.state_key = s.optional_text(4);
  e.sender = s.text(5);
  e.depth = s.integer(6);
  e.origin_server_ts = s.integer(7);
  e.json = s.text(8);
  e.redacted_by = s.optional_text(9);
  e.replaces_state = s.optional_text(10);
  e.state_group = s.integer(11);
  e.txn_device = s.text(12);
  e.txn_id = s.text(13);
  return e;
}

std::vector<Persisted> SqliteStore::persist_events(const std::vector<NewEvent>& events,
                                                   const std::optional<RoomRecord>& new_room) {
  DbTransaction transaction(db_);
  if (new_room) {
    db_.prepare("INSERT INTO rooms (room_id, version, creator, published) VALUES (?, ?, ?, ?)")
        .bind(new_room->room_id)
        .bind(new_room->version)
        .bind(new_room->creator)
        .bind(new_room->published)
        .run();
  }
  std::vector<Persisted> out;
  out.reserve(events.size());
  StreamPos pos = pos_;
  std::int64_t previous_after = 0;
  for (const auto& event : events) {
    const std::int64_t before = event.state_before ? snapshot_state_group(event.room_id, *event.state_before)
                                : event.state_group_before == kStateGroupOfPrevious ? previous_after
                                                                                    : event.state_group_before;
    const std::int64_t after =
        event.state_key ? new_state_group(event.room_id, before, {event.type, *event.state_key}, event.event_id)
                        : before;
    persist_one(event, ++pos, after);
    previous_after = after;
    out.push_back({pos, after});
  }
  db_.prepare("UPDATE stream SET pos = ? WHERE id = 1").bind(pos).run();
  transaction.commit();
  pos_ = pos;
  return out;
}

void SqliteStore::persist_one(const NewEvent& event, StreamPos pos, std::int64_t after) {
  std::optional<std::string> replaces;  // in the state before the event
  if (event.state_key && event.state_before) {
    if (auto it = event.state_before->find({event.type, *event.state_key}); it != event.state_before->end())
      replaces = it->second;
  } else if (event.state_key) {
    auto s = db_.prepare("SELECT event_id FROM current_state WHERE room_id = ? AND type = ? AND state_key = ?");
    s.bind(event.room_id).bind(event.type).bind(*event.state_key);
    if (s.step()) replaces = s.text(0);
  }
  db_.prepare(
         "INSERT INTO events (pos, event_id, room_id, type, state_key, sender, depth, origin_server_ts, json,"
         " replaces_state, state_group, txn_device, txn_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(pos)
      .bind(event.event_id)
      .bind(event.room_id)
      .bind(event.type)
      .bind(event.state_key)
      .bind(event.sender)
      .bind(event.depth)
      .bind(event.origin_server_ts)
      .bind(event.json)
      .bind(replaces)
      .bind(after)
      .bind(event.txn ? event.txn->device_id : "")
      .bind(event.txn ? event.txn->txn_id : "")
      .run();
  if (event.txn) record_transaction(*event.txn, pos);
  if (event.relation) record_relation(event, pos);
  index_for_search(event, pos);
  for (const auto& prev : event.prev_events)
    db_.prepare("DELETE FROM forward_extremities WHERE room_id = ? AND event_id = ?")
        .bind(event.room_id)
        .bind(prev)
        .run();
  db_.prepare("INSERT OR IGNORE INTO forward_extremities (room_id, event_id) VALUES (?, ?)")
      .bind(event.room_id)
      .bind(event.event_id)
      .run();
  db_.prepare("DELETE FROM outliers WHERE event_id = ?").bind(event.event_id).run();  // the timeline row wins
  if (event.current_state) replace_current_state(event.room_id, *event.current_state, pos);
  else if (event.state_key)
    set_current_state(event.room_id, {event.type, *event.state_key}, event.event_id, event.json, pos);
  if (event.redaction) {
    unindex_for_search(event.room_id, event.redaction->first);
    for (const char* table : {"events", "outliers"})
      db_.prepare(std::string("UPDATE ") + table + " SET json = ?, redacted_by = ? WHERE event_id = ? AND room_id = ?")
          .bind(event.redaction->second)
          .bind(event.event_id)
          .bind(event.redaction->first)
          .bind(event.room_id)
          .run();
    drop_relation(event.redaction->first);
  }
}

void SqliteStore::set_current_state(const std::string& room_id, const StateKey& key, const std::string& event_id,
                                    const std::string& json, StreamPos pos) {
  const auto& [type, state_key] = key;
  if (event_id.empty()) {
    db_.prepare("DELETE FROM current_state WHERE room_id = ? AND type = ? AND state_key = ?")
        .bind(room_id)
        .bind(type)
        .bind(state_key)
        .run();
  } else {
    db_.prepare(
           "INSERT INTO current_state (room_id, type, state_key, event_id) VALUES (?, ?, ?, ?)"
           " ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id")
        .bind(room_id)
        .bind(type)
        .bind(state_key)
        .bind(event_id)
        .run();
  }
  record_value_change(room_id, key, json, pos);
  if (type != "m.room.member") return;
  if (event_id.empty()) {
    db_.prepare("DELETE FROM room_memberships WHERE room_id = ? AND user_id = ?").bind(room_id).bind(state_key).run();
    return;
  }
  db_.prepare(
         "INSERT INTO room_memberships (room_id, user_id, membership, event_id, pos)"
         " VALUES (?, ?, COALESCE(json_extract(?, '$.content.membership'), ''), ?, ?)"
         " ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership,"
         " event_id = excluded.event_id, pos = excluded.pos")
      .bind(room_id)
      .bind(state_key)
      .bind(json)
      .bind(event_id)
      .bind(pos)
      .run();
  db_.prepare(
         "DELETE FROM forgotten_rooms WHERE user_id = ? AND room_id = ?"
         " AND (SELECT membership FROM room_memberships WHERE room_id = ? AND user_id = ?) = 'join'")
      .bind(state_key)
      .bind(room_id)
      .bind(room_id)
      .bind(state_key)
      .run();
}

void SqliteStore::replace_current_state(const std::string& room_id, const StateMap& state, StreamPos pos) {
  const StateMap current = current_state(room_id);
  for (const auto& [key, event_id] : current)
    if (!state.contains(key)) set_current_state(room_id, key, "", "", pos);
  for (const auto& [key, event_id] : state) {
    if (auto it = current.find(key); it != current.end() && it->second == event_id) continue;
    auto stored = event(event_id);
    if (!stored) throw StorageError("current state names unknown event " + event_id);
    set_current_state(room_id, key, event_id, stored->json, pos);
  }
}

void SqliteStore::record_value_change(const std::string& room_id, const StateKey& key, const std::string& json,
                                      StreamPos pos) {
  const auto& [type, state_key] = key;
  const char* path = type == "m.room.member"                                    ? "$.content.membership"
                     : type == "m.room.history_visibility" && state_key.empty() ? "$.content.history_visibility"
                                                                                : nullptr;
  if (!path) return;
  auto value = db_.prepare("SELECT COALESCE(json_extract(?, ?), '')");
  value.bind(json.empty() ? "{}" : json).bind(path);
  value.step();
  const std::string current = value.text(0);
  auto previous = db_.prepare(
      "SELECT value FROM state_value_changes WHERE room_id = ? AND type = ? AND state_key = ? ORDER BY pos DESC LIMIT "
      "1");
  previous.bind(room_id).bind(type).bind(state_key);
  if (previous.step() && previous.text(0) == current) return;
  db_.prepare("INSERT INTO state_value_changes (room_id, type, state_key, pos, value) VALUES (?, ?, ?, ?, ?)")
      .bind(room_id)
      .bind(type)
      .bind(state_key)
      .bind(pos)
      .bind(current)
      .run();
}

std::vector<StateValueChange> SqliteStore::value_changes(const std::string& room_id, std::string_view type,
                                                         const std::string& state_key) {
  std::vector<StateValueChange> out;
  auto s = db_.prepare(
      "SELECT pos, value FROM state_value_changes WHERE room_id = ? AND type = ? AND state_key = ? ORDER BY pos");
  s.bind(room_id).bind(type).bind(state_key);
  while (s.step()) out.push_back({s.integer(0), s.text(1)});
  return out;
}

std::vector<StateValueChange> SqliteStore::history_visibility_changes(const std::string& room_id) {
  return value_changes(room_id, "m.room.history_visibility", "");
}

std::vector<StateValueChange> SqliteStore::membership_changes(const std::string& room_id, const std::string& user_id) {
  return value_changes(room_id, "m.room.member", user_id);
}

std::optional<StoredEvent> SqliteStore::event(const std::string& event_id) {
  auto s = db_.prepare(std::string("SELECT ") + kEventColumns + " FROM events WHERE event_id = ?");
  s.bind(event_id);
  if (s.step()) return read_event(s);
  auto outlier = db_.prepare(
      "SELECT 0, event_id, room_id, type, state_key, sender, depth, origin_server_ts, json, redacted_by, NULL, 0, '', "
      "''"
      " FROM outliers WHERE event_id = ?");
  outlier.bind(event_id);
  if (outlier.step()) return read_event(outlier);
  return std::nullopt;
}

void SqliteStore::persist_outliers(const std::vector<NewOutlier>& outliers) {
  DbTransaction transaction(db_);
  for (const auto& outlier : outliers) {
    db_.prepare(
           "INSERT INTO outliers (event_id, room_id, type, state_key, sender, depth, origin_server_ts, json)"
           " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE NOT EXISTS (SELECT 1 FROM events WHERE event_id = ?1)"
           " ON CONFLICT (event_id) DO NOTHING")
        .bind(outlier.event_id)
        .bind(outlier.room_id)
        .bind(outlier.type)
        .bind(outlier.state_key)
        .bind(outlier.sender)
        .bind(outlier.depth)
        .bind(outlier.origin_server_ts)
        .bind(outlier.json)
        .run();
  }
  transaction.commit();
}

std::vector<StoredEvent> SqliteStore::events(const std::vector<std::string>& event_ids) {
  std::vector<StoredEvent> out;
  out.reserve(event_ids.size());
  for (const auto& id : event_ids)
    if (auto found = event(id)) out.push_back(std::move(*found));
  return out;
}

std::vector<StoredEvent> SqliteStore::room_events(const std::string& room_id, StreamPos lower, StreamPos upper,
                                                  std::size_t limit, Direction dir) {
  std::vector<StoredEvent> out;
  if (limit == 0 || lower >= upper) return out;
  auto s = db_.prepare(std::string("SELECT ") + kEventColumns +
                       " FROM events WHERE room_id = ? AND pos > ? AND pos <= ? ORDER BY pos " +
                       (dir == Direction::kBackward ? "DESC" : "ASC") + " LIMIT ?");
  s.bind(room_id).bind(lower).bind(upper).bind(static_cast<std::int64_t>(limit));
  while (s.step()) out.push_back(read_event(s));
  return out;
}

// txn_ids is keyed by the UTC day first, then by the transaction's digests (txn_key.h): a
// lookup probes today and yesterday, and expiry deletes whole days.
namespace {
std::int64_t utc_day() { return std::int64_t{std::time(nullptr)} / 86'400; }
}  // namespace

void SqliteStore::record_transaction(const Transaction& txn, StreamPos pos) {
  db_.prepare("INSERT INTO txn_ids (day, device, request, pos) VALUES (?, ?, ?, ?)")
      .bind(utc_day())
      .bind_blob(txn_key_part(txn.user_id, txn.device_id))
      .bind_blob(txn_key_part(txn.endpoint, txn.txn_id))
      .bind(pos)
      .run();
}

std::optional<std::string> SqliteStore::txn_event(const storage::Transaction& txn) {
  const std::string device = txn_key_part(txn.user_id, txn.device_id);
  const std::string request = txn_key_part(txn.endpoint, txn.txn_id);
  // One probe a day: cheaper than an IN list, which SQLite builds a temporary table for.
  const std::int64_t today = utc_day();
  for (std::int64_t day : {today, today - 1}) {
    auto s = db_.prepare(
        "SELECT e.event_id FROM txn_ids t LEFT JOIN events e ON e.pos = t.pos"
        " WHERE t.day = ? AND t.device = ? AND t.request = ?");
    s.bind(day).bind_blob(device).bind_blob(request);
    if (s.step()) return s.text(0);  // "" for a transaction without an event
  }
  return std::nullopt;
}

bool SqliteStore::record_new_transaction(const Transaction& txn) {
  const std::string device = txn_key_part(txn.user_id, txn.device_id);
  const std::string request = txn_key_part(txn.endpoint, txn.txn_id);
  const std::int64_t today = utc_day();
  {
    auto s = db_.prepare("SELECT 1 FROM txn_ids WHERE day = ? AND device = ? AND request = ?");
    s.bind(today - 1).bind_blob(device).bind_blob(request);
    if (s.step()) return false;
  }
  db_.prepare("INSERT OR IGNORE INTO txn_ids (day, device, request, pos) VALUES (?, ?, ?, 0)")
      .bind(today)
      .bind_blob(device)
      .bind_blob(request)
      .run();
  return db_.changes() == 1;
}

void SqliteStore::forget_device_transactions(const std::string& user_id, const std::string& device_id) {
  const std::int64_t today = utc_day();
  db_.prepare("DELETE FROM txn_ids WHERE day IN (?, ?) AND device = ?")
      .bind(today)
      .bind(today - 1)
      .bind_blob(txn_key_part(user_id, device_id))
      .run();
}

void SqliteStore::purge_transactions(std::int64_t older_than_ts) {
  db_.prepare("DELETE FROM txn_ids WHERE day < ?").bind(older_than_ts / 86'400'000).run();
}

std::vector<Extremity> SqliteStore::forward_extremities(const std::string& room_id) {
  std::vector<Extremity> out;
  auto s = db_.prepare(
      "SELECT f.event_id, e.depth FROM forward_extremities f JOIN events e ON e.event_id = f.event_id"
      " WHERE f.room_id = ?");
  s.bind(room_id);
  while (s.step()) out.push_back({s.text(0), s.integer(1)});
  return out;
}

std::vector<Membership> SqliteStore::user_memberships(const std::string& user_id) {
  std::vector<Membership> out;
  auto s = db_.prepare("SELECT room_id, membership, event_id, pos FROM room_memberships WHERE user_id = ?");
  s.bind(user_id);
  while (s.step()) out.push_back({s.text(0), user_id, s.text(1), s.text(2), s.integer(3)});
  return out;
}

std::vector<Membership> SqliteStore::room_members(const core::RoomId& room_id) {
  std::vector<Membership> out;
  auto s = db_.prepare("SELECT user_id, membership, event_id, pos FROM room_memberships WHERE room_id = ?");
  s.bind(room_id);
  while (s.step()) out.push_back({room_id.str(), s.text(0), s.text(1), s.text(2), s.integer(3)});
  return out;
}

void SqliteStore::forget_room(const core::UserId& user_id, const core::RoomId& room_id) {
  db_.prepare("INSERT OR IGNORE INTO forgotten_rooms (user_id, room_id) VALUES (?, ?)")
      .bind(user_id)
      .bind(room_id)
      .run();
}

bool SqliteStore::is_forgotten(const std::string& user_id, const std::string& room_id) {
  auto s = db_.prepare("SELECT 1 FROM forgotten_rooms WHERE user_id = ? AND room_id = ?");
  s.bind(user_id).bind(room_id);
  return s.step();
}

}  // namespace myelin::storage::sqlite
