// Older history fetched from other servers (storage/event_store.h, persist_history): written
// below every stored position, the visibility values it carries recorded at its positions.
#include "storage/sqlite/sqlite_store.h"

namespace myelin::storage::sqlite {

std::vector<StreamPos> SqliteStore::persist_history(const HistoryBatch& batch) {
  DbTransaction transaction(db_);
  const std::string& room_id = batch.room_id;
  auto lowest = [&](bool of_room) {
    auto s = db_.prepare(of_room ? "SELECT MIN(pos) FROM events WHERE room_id = ?" : "SELECT MIN(pos) FROM events");
    if (of_room) s.bind(room_id);
    return s.step() ? s.optional_integer(0) : std::nullopt;
  };
  // Every real value change is at an event's position, so one below the room's lowest event is
  // an earlier batch's visibility_before: the new batch goes below it and says it again.
  if (auto room_lowest = lowest(true)) {
    db_.prepare(
           "DELETE FROM state_value_changes WHERE room_id = ? AND type = 'm.room.history_visibility'"
           " AND state_key = '' AND pos < ?")
        .bind(room_id)
        .bind(*room_lowest)
        .run();
  }
  std::vector<const NewOutlier*> fresh;
  for (const NewOutlier& event : batch.events) {
    auto known = db_.prepare("SELECT 1 FROM events WHERE event_id = ?");
    known.bind(event.event_id);
    if (!known.step()) fresh.push_back(&event);
  }
  const StreamPos below = std::min<StreamPos>(lowest(false).value_or(0), 0);
  StreamPos pos = below - static_cast<StreamPos>(fresh.size());
  std::vector<StreamPos> out;
  out.reserve(fresh.size());
  for (const NewOutlier* event : fresh) {
    db_.prepare(
           "INSERT INTO events (pos, event_id, room_id, type, state_key, sender, depth, origin_server_ts, json,"
           " replaces_state, state_group, txn_device, txn_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, '', '')")
        .bind(pos)
        .bind(event->event_id)
        .bind(room_id)
        .bind(event->type)
        .bind(event->state_key)
        .bind(event->sender)
        .bind(event->depth)
        .bind(event->origin_server_ts)
        .bind(event->json)
        .run();
    db_.prepare("DELETE FROM outliers WHERE event_id = ?").bind(event->event_id).run();
    const char* path = !event->state_key                ? nullptr
                       : event->type == "m.room.member" ? "$.content.membership"
                       : event->type == "m.room.history_visibility" && event->state_key->empty()
                           ? "$.content.history_visibility"
                           : nullptr;
    if (path) {
      db_.prepare(
             "INSERT OR REPLACE INTO state_value_changes (room_id, type, state_key, pos, value)"
             " VALUES (?, ?, ?, ?, COALESCE(json_extract(?, ?), ''))")
          .bind(room_id)
          .bind(event->type)
          .bind(*event->state_key)
          .bind(pos)
          .bind(event->json)
          .bind(path)
          .run();
    }
    out.push_back(pos++);
  }
  db_.prepare(
         "INSERT OR REPLACE INTO state_value_changes (room_id, type, state_key, pos, value)"
         " VALUES (?, 'm.room.history_visibility', '', ?, ?)")
      .bind(room_id)
      .bind(below - static_cast<StreamPos>(fresh.size()) - 1)
      .bind(batch.visibility_before)
      .run();
  transaction.commit();
  return out;
}

}  // namespace myelin::storage::sqlite
