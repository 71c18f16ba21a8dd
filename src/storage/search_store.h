#pragma once
// Finding events (storage/store.h has the contract): by their text (client-server-api "Server
// Side Search") and by their time (GET /rooms/{roomId}/timestamp_to_event). The text index is
// kept by persist_events in the same transaction: content.body of m.room.message, content.name
// of m.room.name, content.topic and the text/plain m.topic of m.room.topic; a redaction removes
// its target, and nothing of a room with m.room.encryption is indexed (there is no plaintext).
// The store knows nothing of who may read what: the caller hands it, per room, the positions the
// reader may see, and every result lies in them.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/common.h"
#include "storage/event_store.h"

namespace myelin::storage {

// Positions p with lower < p <= upper.
using PosBounds = std::pair<StreamPos, StreamPos>;

struct SearchRoom {
  std::string room_id;
  std::vector<PosBounds> readable;  // ascending, disjoint
};

enum class SearchOrder { kRank, kRecent };

// Where a page ended: its last result's rank and position (the order is rank descending, then
// position descending; or position descending).
struct SearchCursor {
  double rank = 0;
  StreamPos pos = 0;
};

// Which indexed text a search looks in.
struct SearchKeys {
  bool body = true, name = true, topic = true;
};

struct SearchQuery {
  // Words, each matching itself and the words it begins (case and diacritics folded); an event
  // matches when it has every word. At least one, each of letters and digits only.
  std::vector<std::string> words;
  SearchKeys keys;
  std::vector<SearchRoom> rooms;
  SearchOrder order = SearchOrder::kRank;
  StreamPos bound = 0;  // only events at or before it (the first page's position, for stable pages)
  std::optional<SearchCursor> after;
  std::size_t limit = 10;
  // Further conditions on an event (filters); nullptr accepts every event.
  std::function<bool(std::string_view type, std::string_view sender)> accept;
};

struct SearchHit {
  StreamPos pos = 0;
  double rank = 0;  // higher is closer; depends on the event's own text only
  std::string event_id;
};

struct SearchPage {
  std::vector<SearchHit> hits;  // in the order asked
  bool more = false;            // results beyond the page
  // The readable matches in the rooms: exact for kRank; for kRecent counted before `accept`.
  std::int64_t count = 0;
};

class SearchStore {
 public:
  virtual ~SearchStore() = default;

  virtual SearchPage search_events(const SearchQuery& query) = 0;
  // The first event of the room in `readable` (ascending, disjoint) with origin_server_ts >= ts
  // (kForward, earliest first) or <= ts (kBackward, latest first); ties go to the lower
  // position forwards and the higher backwards.
  virtual std::optional<StoredEvent> event_near_time(const std::string& room_id, std::int64_t ts, Direction dir,
                                                     const std::vector<PosBounds>& readable) = 0;
};

}  // namespace myelin::storage
