#pragma once
// Finding events as a client may (client-server-api "Server Side Search", POST /search; and
// GET /rooms/{roomId}/timestamp_to_event): only in rooms the reader has or had a membership in
// (and has not forgotten), only events history visibility lets them read
// (homeserver/timeline/visibility.h), never encrypted content (storage/search_store.h indexes
// none). Paging tokens are the domain's own (search_request.h); context tokens are stream
// positions, returned bare for the API to write.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ids.h"
#include "core/json.h"
#include "homeserver/search/search_request.h"
#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/room_reader.h"
#include "storage/event_store.h"
#include "storage/position_store.h"
#include "storage/search_store.h"
#include "storage/user_data_store.h"

namespace myelin::homeserver {

struct SearchContext {
  json::array before, after;  // nearest first
  storage::StreamPos start = 0, end = 0;
  std::optional<json::object> profile_info;  // with include_profile
};

struct SearchResult {
  double rank = 0;
  json::object event;
  std::optional<SearchContext> context;  // with event_context
};

struct SearchResults {
  std::int64_t count = 0;
  std::vector<std::string> highlights;
  std::vector<SearchResult> results;
  std::optional<json::object> state;   // with include_state: room ID -> current state it may see
  std::optional<json::object> groups;  // with groupings: key -> value -> {results, order, next_batch}
  std::optional<std::string> next_batch;
};

// GET /timestamp_to_event's answer.
struct EventAtTime {
  std::string event_id;
  std::int64_t origin_server_ts = 0;
};

class RoomSearch {
 public:
  RoomSearch(RoomCache& rooms, storage::EventStore& events, storage::SearchStore& search,
             storage::PositionStore& positions, storage::UserDataStore& user_data)
      : rooms_(rooms), events_(events), search_(search), positions_(positions), user_data_(user_data) {}

  // The room_events category. M_INVALID_PARAM for a next_batch token not made by a request of
  // the same order.
  core::Result<SearchResults> search(const Reader& reader, const SearchRequest& request);

  // The event nearest `ts` (at or after it forwards, at or before backwards) that the reader
  // may read: M_FORBIDDEN when they may read none of the room (or it is unknown), M_NOT_FOUND
  // when no event is there.
  core::Result<EventAtTime> event_at(const Reader& reader, const core::RoomId& room_id, std::int64_t ts,
                                     storage::Direction dir);

 private:
  SearchContext context(const Reader& reader, const EventFilter& shown, const storage::StoredEvent& event,
                        const Visible& visible, const EventContextRequest& request);

  RoomCache& rooms_;
  storage::EventStore& events_;
  storage::SearchStore& search_;
  storage::PositionStore& positions_;
  storage::UserDataStore& user_data_;
};

}  // namespace myelin::homeserver
