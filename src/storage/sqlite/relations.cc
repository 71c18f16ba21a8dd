// Relations between events and threads (storage/relation_store.h). Lists of IDs are bound as
// one JSON array (json_each), so each query is one cached statement whatever the list's length.
#include "core/json.h"
#include "storage/sqlite/sqlite_store.h"

namespace myelin::storage::sqlite {
namespace {

constexpr const char* kRelationColumns =
    "room_id, child_id, parent_id, rel_type, child_type, sender, pos, aggregated, thread_id, thread_hops";

RelationRecord read_relation(const Statement& s) {
  return {s.text(0), s.text(1),    s.text(2),         s.text(3), s.text(4),
          s.text(5), s.integer(6), s.integer(7) != 0, s.text(8), static_cast<int>(s.integer(9))};
}

template <class T>
std::string json_list(const std::vector<T>& values) {
  json::array array;
  array.reserve(values.size());
  for (const auto& value : values) array.emplace_back(value);
  return core::to_string(array);
}

}  // namespace

void SqliteStore::record_relation(const NewEvent& event, StreamPos pos) {
  const NewRelation& relation = *event.relation;
  db_.prepare(
         "INSERT OR IGNORE INTO relations (child_id, room_id, parent_id, rel_type, child_type, sender, pos,"
         " annotation_key, aggregated, thread_id, thread_hops) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(event.event_id)
      .bind(event.room_id)
      .bind(relation.parent_id)
      .bind(relation.rel_type)
      .bind(event.type)
      .bind(event.sender)
      .bind(pos)
      .bind(relation.key)
      .bind(relation.aggregated)
      .bind(relation.thread_id)
      .bind(relation.thread_hops)
      .run();
  if (db_.changes() == 0) return;
  if (auto it = newest_relation_.find(event.room_id); it != newest_relation_.end()) it->second = pos;
  if (relation.rel_type != "m.thread" || !relation.aggregated) return;
  db_.prepare(
         "INSERT INTO threads (room_id, root_id, latest_pos, replies) VALUES (?, ?, ?, 1)"
         " ON CONFLICT (room_id, root_id) DO UPDATE SET latest_pos = max(latest_pos, excluded.latest_pos),"
         " replies = replies + 1")
      .bind(event.room_id)
      .bind(relation.parent_id)
      .bind(pos)
      .run();
  db_.prepare(
         "INSERT INTO thread_participants (room_id, user_id, root_id, replies, is_root) VALUES (?, ?, ?, 0, 1)"
         " ON CONFLICT (room_id, user_id, root_id) DO UPDATE SET is_root = 1")
      .bind(event.room_id)
      .bind(relation.root_sender)
      .bind(relation.parent_id)
      .run();
  db_.prepare(
         "INSERT INTO thread_participants (room_id, user_id, root_id, replies, is_root) VALUES (?, ?, ?, 1, 0)"
         " ON CONFLICT (room_id, user_id, root_id) DO UPDATE SET replies = replies + 1")
      .bind(event.room_id)
      .bind(event.sender)
      .bind(relation.parent_id)
      .run();
}

// A redacted child loses its relation (its m.relates_to is gone); a thread that loses its last
// reply stops being one.
void SqliteStore::drop_relation(const std::string& child_id) {
  auto found = relation(child_id);
  if (!found) return;
  const std::string& room_id = found->room_id;
  db_.prepare("DELETE FROM relations WHERE child_id = ?").bind(child_id).run();
  if (found->rel_type != "m.thread" || !found->aggregated) return;
  db_.prepare("UPDATE thread_participants SET replies = replies - 1 WHERE room_id = ? AND user_id = ? AND root_id = ?")
      .bind(room_id)
      .bind(found->sender)
      .bind(found->parent_id)
      .run();
  db_.prepare(
         "DELETE FROM thread_participants WHERE room_id = ? AND user_id = ? AND root_id = ? AND replies <= 0"
         " AND is_root = 0")
      .bind(room_id)
      .bind(found->sender)
      .bind(found->parent_id)
      .run();
  StreamPos latest = 0;
  {
    auto s =
        db_.prepare("SELECT max(pos) FROM relations WHERE parent_id = ? AND rel_type = 'm.thread' AND aggregated = 1");
    s.bind(found->parent_id);
    if (s.step()) latest = s.optional_integer(0).value_or(0);
  }
  if (latest == 0) {
    db_.prepare("DELETE FROM threads WHERE room_id = ? AND root_id = ?").bind(room_id).bind(found->parent_id).run();
    db_.prepare("DELETE FROM thread_participants WHERE room_id = ? AND root_id = ?")
        .bind(room_id)
        .bind(found->parent_id)
        .run();
    return;
  }
  db_.prepare("UPDATE threads SET latest_pos = ?, replies = replies - 1 WHERE room_id = ? AND root_id = ?")
      .bind(latest)
      .bind(room_id)
      .bind(found->parent_id)
      .run();
}

StreamPos SqliteStore::newest_relation(const std::string& room_id) {
  if (auto it = newest_relation_.find(room_id); it != newest_relation_.end()) return it->second;
  auto s = db_.prepare("SELECT max(pos) FROM relations WHERE room_id = ?");
  s.bind(room_id);
  const StreamPos newest = s.step() ? s.optional_integer(0).value_or(0) : 0;
  return newest_relation_[room_id] = newest;
}

std::optional<RelationRecord> SqliteStore::relation(const std::string& child_id) {
  auto s = db_.prepare(std::string("SELECT ") + kRelationColumns + " FROM relations WHERE child_id = ?");
  s.bind(child_id);
  if (!s.step()) return std::nullopt;
  return read_relation(s);
}

std::vector<RelationRecord> SqliteStore::relations(const std::vector<std::string>& child_ids) {
  std::vector<RelationRecord> out;
  if (child_ids.empty()) return out;
  auto s = db_.prepare(std::string("SELECT ") + kRelationColumns +
                       " FROM relations WHERE child_id IN (SELECT value FROM json_each(?))");
  s.bind(json_list(child_ids));
  while (s.step()) out.push_back(read_relation(s));
  return out;
}

std::vector<StoredEvent> SqliteStore::children(const ChildrenQuery& query) {
  std::vector<StoredEvent> out;
  if (query.limit == 0 || query.lower >= query.upper) return out;
  const bool backwards = query.dir == Direction::kBackward;
  const std::string order = backwards ? " ORDER BY pos DESC" : " ORDER BY pos ASC";
  // The filters apply at every level: an event reached only through one that fails them is
  // not reached. A child is newer than its parent, so the walk stops at the upper bound (and a
  // child has one parent, so the tree has no duplicates to remove). With a rel_type the (parent, rel_type, pos) index
  // serves it.
  const std::string filters = std::string(query.rel_type ? " AND r.rel_type = ?1" : " AND ?1 IS NULL") +
                              " AND (?2 IS NULL OR r.child_type = ?2)";
  std::string sql;
  if (query.depth <= 1) {
    sql = std::string("SELECT ") + kEventColumns + " FROM events WHERE pos IN (SELECT r.pos FROM relations r" +
          " WHERE r.parent_id = ?3" + filters + " AND r.pos > ?4 AND r.pos <= ?5" + order + " LIMIT ?6)" + order;
  } else {
    sql =
        std::string("WITH RECURSIVE tree (child_id, pos, depth) AS (") +
        "SELECT r.child_id, r.pos, 1 FROM relations r WHERE r.parent_id = ?3 AND r.pos <= ?5" + filters +
        " UNION ALL SELECT r.child_id, r.pos, tree.depth + 1 FROM relations r JOIN tree ON r.parent_id = tree.child_id"
        " WHERE tree.depth < ?7 AND r.pos <= ?5" +
        filters + ") SELECT " + kEventColumns +
        " FROM events WHERE pos IN (SELECT pos FROM tree WHERE pos > ?4 AND pos <= ?5" + order + " LIMIT ?6)" + order;
  }
  auto s = db_.prepare(sql);
  s.bind(query.rel_type).bind(query.child_type).bind(query.parent_id).bind(query.lower).bind(query.upper);
  s.bind(static_cast<std::int64_t>(query.limit));
  if (query.depth > 1) s.bind(query.depth);
  while (s.step()) out.push_back(read_event(s));
  return out;
}

bool SqliteStore::has_annotation(const std::string& parent_id, const std::string& child_type, const std::string& key,
                                 const std::string& sender) {
  auto s = db_.prepare(
      "SELECT 1 FROM relations WHERE parent_id = ? AND child_type = ? AND annotation_key = ? AND sender = ?"
      " AND rel_type = 'm.annotation'");
  s.bind(parent_id).bind(child_type).bind(key).bind(sender);
  return s.step();
}

std::vector<ChildCount> SqliteStore::child_counts(const std::string& room_id, const std::vector<ParentRef>& parents,
                                                  const std::vector<std::string>& rel_types, StreamPos upto) {
  std::vector<ChildCount> out;
  if (parents.empty()) return out;
  StreamPos oldest = parents.front().pos;
  std::vector<std::string> ids;
  for (const auto& parent : parents) {
    oldest = std::min(oldest, parent.pos);
    ids.push_back(parent.event_id);
  }
  // A child comes after its parent: with no relation newer than the oldest parent, none of
  // them has children.
  if (newest_relation(room_id) <= oldest) return out;
  auto s = db_.prepare(
      "SELECT parent_id, rel_type, count(*), max(pos) FROM relations"
      " WHERE parent_id IN (SELECT value FROM json_each(?)) AND rel_type IN (SELECT value FROM json_each(?))"
      " AND aggregated = 1 AND pos <= ? GROUP BY parent_id, rel_type");
  s.bind(json_list(ids)).bind(json_list(rel_types)).bind(upto);
  while (s.step()) out.push_back({s.text(0), s.text(1), s.integer(2), s.integer(3)});
  return out;
}

std::vector<std::pair<std::string, StoredEvent>> SqliteStore::latest_replacements(
    const std::vector<std::string>& parent_ids, StreamPos upto) {
  std::vector<std::pair<std::string, StreamPos>> latest;
  {
    auto s = db_.prepare(
        "SELECT parent_id, pos FROM (SELECT r.parent_id, r.pos, row_number() OVER (PARTITION BY r.parent_id"
        " ORDER BY e.origin_server_ts DESC, e.event_id DESC) AS n FROM relations r JOIN events e ON e.pos = r.pos"
        " WHERE r.parent_id IN (SELECT value FROM json_each(?)) AND r.rel_type = 'm.replace' AND r.aggregated = 1"
        " AND r.pos <= ?) WHERE n = 1");
    s.bind(json_list(parent_ids)).bind(upto);
    while (s.step()) latest.emplace_back(s.text(0), s.integer(1));
  }
  std::vector<StreamPos> positions;
  for (const auto& [parent, pos] : latest) positions.push_back(pos);
  std::vector<std::pair<std::string, StoredEvent>> out;
  for (auto& event : events_at(positions)) {
    for (const auto& [parent, pos] : latest)
      if (pos == event.pos) out.emplace_back(parent, event);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> SqliteStore::references(const std::vector<std::string>& parent_ids,
                                                                         StreamPos upto, std::size_t per_parent) {
  std::vector<std::pair<std::string, std::string>> out;
  auto s = db_.prepare(
      "SELECT parent_id, child_id FROM (SELECT parent_id, child_id, pos, row_number() OVER (PARTITION BY parent_id"
      " ORDER BY pos) AS n FROM relations WHERE parent_id IN (SELECT value FROM json_each(?))"
      " AND rel_type = 'm.reference' AND aggregated = 1 AND pos <= ?) WHERE n <= ? ORDER BY pos");
  s.bind(json_list(parent_ids)).bind(upto).bind(static_cast<std::int64_t>(per_parent));
  while (s.step()) out.emplace_back(s.text(0), s.text(1));
  return out;
}

std::vector<StoredEvent> SqliteStore::events_at(const std::vector<StreamPos>& positions) {
  std::vector<StoredEvent> out;
  if (positions.empty()) return out;
  auto s = db_.prepare(std::string("SELECT ") + kEventColumns +
                       " FROM events WHERE pos IN (SELECT value FROM json_each(?)) ORDER BY pos");
  s.bind(json_list(positions));
  while (s.step()) out.push_back(read_event(s));
  return out;
}

std::vector<std::string> SqliteStore::participated(const std::string& room_id, const std::string& user_id,
                                                   const std::vector<std::string>& root_ids) {
  std::vector<std::string> out;
  if (root_ids.empty()) return out;
  auto s = db_.prepare(
      "SELECT root_id FROM thread_participants WHERE room_id = ? AND user_id = ?"
      " AND root_id IN (SELECT value FROM json_each(?))");
  s.bind(room_id).bind(user_id).bind(json_list(root_ids));
  while (s.step()) out.push_back(s.text(0));
  return out;
}

std::vector<ThreadRecord> SqliteStore::threads(const std::string& room_id,
                                               const std::optional<std::string>& participant, StreamPos upper,
                                               std::size_t limit) {
  std::vector<ThreadRecord> out;
  // Participation reads the user's own threads of the room (bounded by what they took part
  // in), the rest reads the room's threads by activity.
  auto s = participant
               ? db_.prepare(
                     "SELECT t.root_id, e.pos, t.latest_pos FROM thread_participants p JOIN threads t"
                     " ON t.room_id = p.room_id AND t.root_id = p.root_id JOIN events e ON e.event_id = t.root_id"
                     " WHERE p.room_id = ? AND p.user_id = ? AND t.latest_pos <= ?"
                     " ORDER BY t.latest_pos DESC LIMIT ?")
               : db_.prepare(
                     "SELECT t.root_id, e.pos, t.latest_pos FROM threads t JOIN events e ON e.event_id = t.root_id"
                     " WHERE t.room_id = ? AND t.latest_pos <= ? ORDER BY t.latest_pos DESC LIMIT ?");
  s.bind(room_id);
  if (participant) s.bind(*participant);
  s.bind(upper).bind(static_cast<std::int64_t>(limit));
  while (s.step()) out.push_back({s.text(0), s.integer(1), s.integer(2)});
  return out;
}

}  // namespace myelin::storage::sqlite
