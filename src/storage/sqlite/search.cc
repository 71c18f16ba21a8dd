// Finding events by text and by time (storage/search_store.h): the FTS5 index event_search,
// kept inside persist_events' transaction, and its queries.
#include "storage/sqlite/search.h"

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "core/json.h"
#include "storage/sqlite/sqlite_store.h"

namespace myelin::storage::sqlite {
namespace {

// Above this many rooms the expression names no rooms (FTS5 bounds an expression's size); the
// rows of other rooms are then dropped as they are read.
constexpr std::size_t kMaxRoomsInExpression = 50;

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

// Rows wait in search_pending, a plain table, and move into the index this many at a time (or
// before a search): FTS5 writes a segment at every savepoint, and every persist_events is one,
// so indexing each event on its own would cost a segment (and its merging) per message.
constexpr std::int64_t kPendingRows = 200;

void SqliteStore::index_for_search(const NewEvent& event, StreamPos pos) {
  if (!event.search_text) return;
  const std::string& column = event.search_text->column;
  if (column != "body" && column != "name" && column != "topic") return;
  db_.prepare("INSERT INTO search_pending (pos, room, " + column + ") VALUES (?, ?, ?)")
      .bind(pos)
      .bind(room_token(event.room_id))
      .bind(event.search_text->text)
      .run();
  if (pending_search_rows() + 1 >= kPendingRows) flush_search_pending();
  else ++search_pending_;
}

std::int64_t SqliteStore::pending_search_rows() {
  if (search_pending_ < 0) {
    auto count = db_.prepare("SELECT count(*) FROM search_pending");
    search_pending_ = count.step() ? count.integer(0) : 0;
  }
  return search_pending_;
}

void SqliteStore::flush_search_pending() {
  db_.prepare(
         "INSERT INTO event_search (rowid, room, body, name, topic)"
         " SELECT pos, room, body, name, topic FROM search_pending ORDER BY pos")
      .run();
  db_.prepare("DELETE FROM search_pending").run();
  search_pending_ = 0;
}

void SqliteStore::unindex_for_search(const std::string& room_id, const std::string& event_id) {
  db_.prepare("DELETE FROM search_pending WHERE pos = (SELECT pos FROM events WHERE event_id = ? AND room_id = ?)")
      .bind(event_id)
      .bind(room_id)
      .run();
  db_.prepare("DELETE FROM event_search WHERE rowid = (SELECT pos FROM events WHERE event_id = ? AND room_id = ?)")
      .bind(event_id)
      .bind(room_id)
      .run();
}

namespace {

// A byte of a word as search_words (homeserver/search/search_request.h) splits them: ASCII letters
// and digits, and every byte of a non-ASCII character.
bool word_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte >= 0x80 || std::isalnum(byte);
}

bool starts_with_folded(std::string_view token, std::string_view word) {
  if (token.size() < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(token[i])) != static_cast<unsigned char>(word[i])) return false;
  return true;
}

// The rank of a match: BM25's saturating term frequency over the words of the text that begin
// with a searched word, and the text's length in words, against a fixed typical length rather
// than the index's average, so that a result's rank depends on its own text only and pages stay
// stable while the index grows. Every result has every word, so no word weights are needed; a
// match the index found through folded diacritics counts once at least.
double rank_of(const std::vector<std::string>& words, std::initializer_list<std::string_view> texts) {
  constexpr double kK1 = 1.2, kB = 0.75, kTypicalWords = 12;
  double matched = 0, length = 0;
  for (std::string_view text : texts) {
    std::size_t i = 0;
    while (true) {
      while (i < text.size() && !word_byte(text[i])) ++i;
      const std::size_t start = i;
      while (i < text.size() && word_byte(text[i])) ++i;
      if (start == i) break;
      ++length;
      const std::string_view token = text.substr(start, i - start);
      if (std::any_of(words.begin(), words.end(), [&](const std::string& w) { return starts_with_folded(token, w); }))
        ++matched;
    }
  }
  matched = std::max(matched, 1.0);
  return matched * (kK1 + 1) / (matched + kK1 * (1 - kB + kB * length / kTypicalWords));
}

// Lookups by a column's bytes without copying them.
struct ViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

struct Candidate {
  StreamPos pos = 0;
  double rank = 0;
};

}  // namespace

SearchPage SqliteStore::search_events(const SearchQuery& query) {
  SearchPage page;
  if (query.words.empty() || query.rooms.empty() || query.limit == 0) return page;
  // Asked of the table, not of the count kept for the writes: a batch that failed may have
  // rolled a move back.
  auto pending = db_.prepare("SELECT 1 FROM search_pending LIMIT 1");
  if (pending.step()) {
    pending.reset();
    DbTransaction transaction(db_);
    flush_search_pending();
    transaction.commit();
  }
  std::unordered_map<std::string, const SearchRoom*, ViewHash, std::equal_to<>> rooms;  // by room token
  std::vector<std::string> room_ids;
  for (const auto& room : query.rooms) {
    rooms.emplace(room_token(room.room_id), &room);
    room_ids.push_back(room.room_id);
  }
  if (room_ids.size() > kMaxRoomsInExpression) room_ids.clear();
  const std::string match = match_expression(query.words, query.keys, room_ids);
  // The index holds the room and the text; the events table is read only when a filter needs
  // the type or the sender.
  std::string sql =
      "SELECT event_search.rowid, event_search.room, event_search.body, event_search.name, event_search.topic";
  sql += query.accept ? ", e.type, e.sender FROM event_search JOIN events e ON e.pos = event_search.rowid"
                      : " FROM event_search";
  sql += " WHERE event_search MATCH ? AND event_search.rowid <= ?";
  // The row's candidate, when it is one: in a searched room, readable, accepted.
  auto candidate = [&](const Statement& s) -> std::optional<Candidate> {
    const StreamPos pos = s.integer(0);
    auto room = rooms.find(s.view(1));
    if (room == rooms.end() || !readable(room->second->readable, pos)) return std::nullopt;
    if (query.accept && !query.accept(s.view(5), s.view(6))) return std::nullopt;
    return Candidate{pos, rank_of(query.words, {s.view(2), s.view(3), s.view(4)})};
  };
  auto hit = [&](const Candidate& c) {
    auto id = db_.prepare("SELECT event_id FROM events WHERE pos = ?");
    id.bind(c.pos);
    return SearchHit{c.pos, c.rank, id.step() ? id.text(0) : std::string()};
  };

  if (query.order == SearchOrder::kRank) {
    // Every match is ranked, then sorted (rank descending, then newest first).
    auto s = db_.prepare(sql);
    s.bind(match).bind(query.bound);
    std::vector<Candidate> all;
    while (s.step())
      if (auto c = candidate(s)) all.push_back(*c);
    page.count = static_cast<std::int64_t>(all.size());
    auto before = [](const Candidate& a, const Candidate& b) {
      return a.rank > b.rank || (a.rank == b.rank && a.pos > b.pos);
    };
    std::sort(all.begin(), all.end(), before);
    auto first = all.begin();
    if (query.after)
      first = std::upper_bound(all.begin(), all.end(), Candidate{query.after->pos, query.after->rank}, before);
    for (; first != all.end(); ++first) {
      if (page.hits.size() == query.limit) {
        page.more = true;
        break;
      }
      page.hits.push_back(hit(*first));
    }
    return page;
  }

  // Newest first, read only as far as the page needs.
  StreamPos bound = query.bound;
  if (query.after) bound = std::min(bound, query.after->pos - 1);
  auto s = db_.prepare(sql + " ORDER BY event_search.rowid DESC");
  s.bind(match).bind(bound);
  while (s.step()) {
    auto c = candidate(s);
    if (!c) continue;
    if (page.hits.size() == query.limit) {
      page.more = true;
      break;
    }
    page.hits.push_back(hit(*c));
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
  // Reads only events_by_room (room, position, timestamp): the readable range of the room, in
  // the index alone, however the timestamps are ordered.
  auto s = db_.prepare(forward ? "SELECT pos, origin_server_ts FROM events WHERE room_id = ?"
                                 " AND origin_server_ts >= ? AND pos > ? AND pos <= ?"
                                 " ORDER BY origin_server_ts, pos LIMIT 1"
                               : "SELECT pos, origin_server_ts FROM events WHERE room_id = ?"
                                 " AND origin_server_ts <= ? AND pos > ? AND pos <= ?"
                                 " ORDER BY origin_server_ts DESC, pos DESC LIMIT 1");
  std::optional<std::pair<std::int64_t, StreamPos>> best;
  for (const auto& [lower, upper] : readable_ranges) {
    s.bind(room_id).bind(ts).bind(lower).bind(upper);
    if (s.step()) {
      const std::pair found{s.integer(1), s.integer(0)};
      if (!best || (forward ? found < *best : found > *best)) best = found;
    }
    s.reset();
  }
  if (!best) return std::nullopt;
  auto id = db_.prepare("SELECT event_id FROM events WHERE pos = ?");
  id.bind(best->second);
  if (!id.step()) return std::nullopt;
  return event(id.text(0));
}

}  // namespace myelin::storage::sqlite
