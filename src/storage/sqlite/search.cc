// Finding events by text and by time (storage/search_store.h): the FTS5 index event_search,
// kept inside persist_events' transaction, and its queries.
#include "storage/sqlite/search.h"

#include <algorithm>
#include <unordered_map>

#include "storage/sqlite/sqlite_store.h"

namespace myelin::storage::sqlite {
namespace {

// Above this many rooms the expression names no rooms (FTS5 bounds an expression's size); the
// rows of other rooms are then dropped as they are read.
constexpr std::size_t kMaxRoomsInExpression = 50;
// What highlight() puts before a matched word.
constexpr char kMark = '\x01';

bool readable(const std::vector<PosBounds>& ranges, StreamPos pos) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const PosBounds& r) { return pos > r.first && pos <= r.second; });
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

}  // namespace

std::string room_token(std::string_view room_id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "r";
  out.reserve(1 + 2 * room_id.size());
  for (unsigned char c : room_id) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string match_expression(const std::vector<std::string>& words, const SearchKeys& keys,
                             const std::vector<std::string>& rooms) {
  std::string columns;
  for (auto [on, name] : {std::pair{keys.body, "body"}, {keys.name, "name"}, {keys.topic, "topic"}})
    if (on) columns += columns.empty() ? name : std::string(" ") + name;
  std::string terms;
  for (const auto& word : words) terms += (terms.empty() ? "" : " ") + quoted(word) + "*";
  std::string out = "{" + columns + "} : (" + terms + ")";
  if (rooms.empty()) return out;
  std::string any;
  for (const auto& room : rooms) any += (any.empty() ? "" : " OR ") + quoted(room_token(room));
  return "room : (" + any + ") AND " + out;
}

// The indexed text of an event, taken from its JSON as the migration that created the index
// took it from the events stored before (migrations.cc, 9): ?1 JSON, ?2 type, ?3 state_key.
void SqliteStore::index_for_search(const NewEvent& event, StreamPos pos) {
  if (event.type != "m.room.message" && event.type != "m.room.name" && event.type != "m.room.topic") return;
  {
    auto encrypted =
        db_.prepare("SELECT 1 FROM current_state WHERE room_id = ? AND type = 'm.room.encryption' AND state_key = ''");
    encrypted.bind(event.room_id);
    if (encrypted.step()) return;
  }
  db_.prepare(
         "INSERT INTO event_search (rowid, room, body, name, topic) SELECT ?4, ?5, body, name, topic FROM ("
         " SELECT CASE WHEN ?2 = 'm.room.message' AND ?3 IS NULL AND json_type(?1, '$.content.body') = 'text'"
         "  THEN json_extract(?1, '$.content.body') END AS body,"
         " CASE WHEN ?2 = 'm.room.name' AND ?3 = '' AND json_type(?1, '$.content.name') = 'text'"
         "  THEN json_extract(?1, '$.content.name') END AS name,"
         " CASE WHEN ?2 = 'm.room.topic' AND ?3 = '' THEN"
         "  trim(CASE WHEN json_type(?1, '$.content.topic') = 'text' THEN json_extract(?1, '$.content.topic') ELSE '' "
         "END"
         "   || ' ' || COALESCE((SELECT json_extract(t.value, '$.body')"
         "    FROM json_each(?1, '$.content.\"m.topic\".\"m.text\"') AS t"
         "    WHERE t.type = 'object' AND json_type(t.value, '$.body') = 'text'"
         "     AND COALESCE(json_extract(t.value, '$.mimetype'), 'text/plain') = 'text/plain'"
         "     AND json_extract(t.value, '$.body') IS NOT json_extract(?1, '$.content.topic') LIMIT 1), '')) END AS "
         "topic)"
         " WHERE COALESCE(body, name, topic, '') <> ''")
      .bind(event.json)
      .bind(event.type)
      .bind(event.state_key)
      .bind(pos)
      .bind(room_token(event.room_id))
      .run();
}

void SqliteStore::unindex_for_search(const std::string& room_id, const std::string& event_id) {
  db_.prepare("DELETE FROM event_search WHERE rowid = (SELECT pos FROM events WHERE event_id = ? AND room_id = ?)")
      .bind(event_id)
      .bind(room_id)
      .run();
}

namespace {

// The rank of a match: BM25's saturating term frequency over the words matched (the spans
// highlight() marks) and the text's length in words, against a fixed typical length rather than
// the index's average, so that a result's rank depends on its own text only and pages stay
// stable while the index grows. Every result has every word, so no word weights are needed.
double rank_of(std::initializer_list<std::string_view> highlighted) {
  constexpr double kK1 = 1.2, kB = 0.75, kTypicalWords = 12;
  double matched = 0, words = 0;
  for (std::string_view text : highlighted) {
    bool in_word = false;
    for (char c : text) {
      if (c == kMark) ++matched;
      const bool space = c == ' ' || c == '\n' || c == '\t';
      if (!space && !in_word) ++words;
      in_word = !space;
    }
  }
  return matched * (kK1 + 1) / (matched + kK1 * (1 - kB + kB * words / kTypicalWords));
}

// The columns both orders read: position, room, type, sender, the highlighted text columns, event ID.
constexpr const char* kMatchSelect =
    "SELECT event_search.rowid, e.room_id, e.type, e.sender, highlight(event_search, 1, char(1), ''),"
    " highlight(event_search, 2, char(1), ''), highlight(event_search, 3, char(1), ''), e.event_id"
    " FROM event_search JOIN events e ON e.pos = event_search.rowid"
    " WHERE event_search MATCH ? AND event_search.rowid <= ?";

double rank_of(const Statement& s) { return rank_of({s.text(4), s.text(5), s.text(6)}); }

}  // namespace

SearchPage SqliteStore::search_events(const SearchQuery& query) {
  SearchPage page;
  if (query.words.empty() || query.rooms.empty() || query.limit == 0) return page;
  std::unordered_map<std::string_view, const SearchRoom*> rooms;
  std::vector<std::string> room_ids;
  for (const auto& room : query.rooms) {
    rooms.emplace(room.room_id, &room);
    room_ids.push_back(room.room_id);
  }
  if (room_ids.size() > kMaxRoomsInExpression) room_ids.clear();
  const std::string match = match_expression(query.words, query.keys, room_ids);
  auto wanted = [&](const Statement& s, StreamPos pos) {
    auto room = rooms.find(s.text(1));
    return room != rooms.end() && readable(room->second->readable, pos) &&
           (!query.accept || query.accept(s.text(2), s.text(3)));
  };

  if (query.order == SearchOrder::kRank) {
    // Every match is ranked, then sorted (rank descending, then newest first).
    auto s = db_.prepare(kMatchSelect);
    s.bind(match).bind(query.bound);
    std::vector<SearchHit> all;
    while (s.step()) {
      const StreamPos pos = s.integer(0);
      if (wanted(s, pos)) all.push_back({pos, rank_of(s), s.text(7), s.text(1)});
    }
    page.count = static_cast<std::int64_t>(all.size());
    auto before = [](const SearchHit& a, const SearchHit& b) {
      return a.rank > b.rank || (a.rank == b.rank && a.pos > b.pos);
    };
    std::sort(all.begin(), all.end(), before);
    auto first = all.begin();
    if (query.after)
      first = std::upper_bound(all.begin(), all.end(), SearchHit{query.after->pos, query.after->rank, {}, {}}, before);
    const auto available = static_cast<std::size_t>(all.end() - first);
    page.more = available > query.limit;
    page.hits.assign(first, first + static_cast<std::ptrdiff_t>(std::min(available, query.limit)));
    return page;
  }

  // Newest first, read only as far as the page needs.
  StreamPos bound = query.bound;
  if (query.after) bound = std::min(bound, query.after->pos - 1);
  auto s = db_.prepare(std::string(kMatchSelect) + " ORDER BY event_search.rowid DESC");
  s.bind(match).bind(bound);
  while (s.step()) {
    const StreamPos pos = s.integer(0);
    if (!wanted(s, pos)) continue;
    if (page.hits.size() == query.limit) {
      page.more = true;
      break;
    }
    page.hits.push_back({pos, rank_of(s), s.text(7), s.text(1)});
  }
  // The count: the readable matches of each room, read as positions only (before `accept`).
  auto count = db_.prepare("SELECT rowid FROM event_search WHERE event_search MATCH ? AND rowid <= ?");
  for (const auto& room : query.rooms) {
    count.bind(match_expression(query.words, query.keys, {room.room_id})).bind(query.bound);
    while (count.step())
      if (readable(room.readable, count.integer(0))) ++page.count;
    count.reset();
  }
  return page;
}

std::optional<StoredEvent> SqliteStore::event_near_time(const std::string& room_id, std::int64_t ts, Direction dir,
                                                        const std::vector<PosBounds>& readable_ranges) {
  const bool forward = dir == Direction::kForward;
  auto s = db_.prepare(forward ? "SELECT pos, origin_server_ts, event_id FROM events WHERE room_id = ?"
                                 " AND origin_server_ts >= ? AND pos > ? AND pos <= ?"
                                 " ORDER BY origin_server_ts, pos LIMIT 1"
                               : "SELECT pos, origin_server_ts, event_id FROM events WHERE room_id = ?"
                                 " AND origin_server_ts <= ? AND pos > ? AND pos <= ?"
                                 " ORDER BY origin_server_ts DESC, pos DESC LIMIT 1");
  std::optional<std::pair<std::int64_t, StreamPos>> best;
  std::string best_id;
  for (const auto& [lower, upper] : readable_ranges) {
    s.bind(room_id).bind(ts).bind(lower).bind(upper);
    if (s.step()) {
      const std::pair found{s.integer(1), s.integer(0)};
      if (!best || (forward ? found < *best : found > *best)) {
        best = found;
        best_id = s.text(2);
      }
    }
    s.reset();
  }
  if (!best) return std::nullopt;
  return event(best_id);
}

}  // namespace myelin::storage::sqlite
