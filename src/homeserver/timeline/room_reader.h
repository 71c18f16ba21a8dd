#pragma once
// Reading a room as a client may (client-server-api "Getting events for a room", "Room
// History Visibility", "Room Previews"): /messages and /context pages, single events, the
// state and the members, each limited to what the reader may see (homeserver/timeline/visibility.h),
// with lazy-loaded members taken from the state the reader may see; /messages, /context and
// /initialSync leave out the non-state events of users the reader ignores. Events come in the client
// format for the reader's device, with their bundled aggregations (homeserver/timeline/aggregations.h)
// on /messages, /context and /event. Positions are returned bare; the API writes them as tokens.
//
// A backwards /messages page that comes up short at the start of the room's local history (a
// room joined over federation starts at the join) first asks the `Backfill` callback (wired in
// homeserver.h to federation's RemoteBackfill) for older events, then reads again: the answer
// comes once, after the back-fill finished or gave up, with whatever the store holds then.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ids.h"
#include "core/json.h"
#include "homeserver/timeline/aggregations.h"
#include "homeserver/timeline/filter.h"
#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/visibility.h"
#include "storage/event_store.h"
#include "storage/position_store.h"
#include "storage/user_data_store.h"

namespace myelin::homeserver {

// Who reads: the user, and the device whose transaction IDs they see.
struct Reader {
  core::UserId user_id;
  std::string device_id;
};

// GET /rooms/{roomId}/messages: from and to as the request gave them (nullopt when absent).
struct MessagesQuery {
  bool backwards = true;
  std::optional<storage::StreamPos> from;
  std::optional<storage::StreamPos> to;
  std::int64_t limit = 10;  // clamped to 1..1000
  EventFilter filter;
};

struct MessagesPage {
  json::array chunk;
  storage::StreamPos start = 0;
  std::optional<storage::StreamPos> end;  // absent when the page reached the end
  std::optional<json::array> state;       // with filter.lazy_load_members
};

// GET /rooms/{roomId}/context/{eventId}.
struct EventContext {
  json::object event;
  json::array before;
  json::array after;
  storage::StreamPos start = 0;
  storage::StreamPos end = 0;
  json::array state;
};

// GET /rooms/{roomId}/initialSync, and one room of GET /initialSync.
struct RoomSnapshot {
  std::string room_id;
  json::array chunk;  // oldest first
  storage::StreamPos start = 0;
  storage::StreamPos end = 0;
  json::array state;
  json::array account_data;
  bool published = false;
  std::string membership;              // "" when the reader has none
  std::optional<json::object> invite;  // an invited room comes as its invite event alone
};

// GET /initialSync (deprecated): the user's rooms, their global account data, and the
// position now (the token to go on from with GET /events).
struct UserSnapshot {
  std::vector<RoomSnapshot> rooms;
  json::array account_data;
  storage::StreamPos end = 0;
};

// GET /rooms/{roomId}/members: `at` a position to read the members at, and the
// membership / not_membership filters.
struct MembersQuery {
  std::optional<storage::StreamPos> at;
  std::optional<std::string> membership;
  std::optional<std::string> not_membership;
};

// Fetches older events of a room from other servers into the store (storage::EventStore::
// persist_history); `done` runs once on the loop, when it is done or gave up.
using Backfill = std::function<void(const std::string& room_id, std::function<void()> done)>;

class RoomReader {
 public:
  RoomReader(RoomCache& rooms, storage::EventStore& store, storage::PositionStore& position_store,
             storage::UserDataStore& user_data_store, Aggregations& aggregations, Backfill backfill = {})
      : rooms_(rooms),
        store_(store),
        position_store_(position_store),
        user_data_store_(user_data_store),
        aggregations_(aggregations),
        backfill_(std::move(backfill)) {}

  // Errors: M_FORBIDDEN when the reader may read none of the room (or it is unknown).
  core::Result<MessagesPage> messages(const Reader& reader, const core::RoomId& room_id, const MessagesQuery& query);
  // The same, back-filling first when a backwards page ends short at the start of the room's
  // local history (and its earliest event is not the room's create event). `done` runs once.
  void messages(const Reader& reader, const core::RoomId& room_id, const MessagesQuery& query,
                std::function<void(core::Result<MessagesPage>)> done);
  // `limit` (clamped to 0..100) is split between the events before and after. M_NOT_FOUND for
  // an event not in the room or not visible to the reader.
  core::Result<EventContext> context(const Reader& reader, const core::RoomId& room_id, const core::EventId& event_id,
                                     std::int64_t limit, const EventFilter& filter);
  // The newest `limit` (clamped to 0..100) events the reader may read, the state they may see
  // and their room account data.
  core::Result<RoomSnapshot> snapshot(const Reader& reader, const core::RoomId& room_id, std::int64_t limit);
  // The reader's joined rooms as snapshot() gives them, their invites (not those of users they
  // ignore) and, with `archived`, the rooms they left or were banned from and did not forget,
  // as they could read them last.
  UserSnapshot snapshot_all(const Reader& reader, std::int64_t limit, bool archived);
  // GET /rooms/{roomId}/event/{eventId}: M_NOT_FOUND unless the reader may read it.
  core::Result<json::object> event(const Reader& reader, const core::RoomId& room_id, const core::EventId& event_id);
  // The state the reader may see, whole or one entry (M_NOT_FOUND when absent).
  core::Result<json::array> state(const Reader& reader, const core::RoomId& room_id);
  core::Result<json::object> state_event(const Reader& reader, const core::RoomId& room_id, const std::string& type,
                                         const std::string& state_key);
  // The member events at `query.at`, never later than the reader may see.
  core::Result<json::array> members(const Reader& reader, const core::RoomId& room_id, const MembersQuery& query);
  // GET /joined_members: user ID -> {display_name, avatar_url}; M_FORBIDDEN unless joined.
  core::Result<json::object> joined_members(const core::UserId& user_id, const core::RoomId& room_id);
  // GET /joined_rooms.
  std::vector<std::string> joined_rooms(const core::UserId& user_id);

 private:
  json::array format(const Reader& reader, const std::vector<storage::StoredEvent>& events,
                     bool with_prev_content = true);
  // The events of `ids` in the client format without prev_content (state sections).
  json::array format_state(const Reader& reader, const std::vector<std::string>& ids);
  json::array lazy_members(const Reader& reader, const RoomState& room, const Visible& visible,
                           const std::vector<storage::StoredEvent>& events);
  // The state the reader may see now (visible_state), or M_FORBIDDEN.
  core::Result<storage::StateMap> readable_state(const Reader& reader, const std::string& room_id);
  // snapshot() of a room the reader may read some of (`visible`), its events as `shown` lets
  // through (the reader's ignored users); `account_data` its room's.
  RoomSnapshot snapshot_of(const Reader& reader, const RoomState& room, const Visible& visible,
                           const EventFilter& shown, std::size_t limit, json::array account_data);
  // The user's room account data: all rooms' or one room's.
  std::map<std::string, json::array> room_account_data(const std::string& user_id,
                                                       std::optional<std::string_view> room_id = std::nullopt);
  // `filter` with the users the reader ignores (timeline/ignored_users.h).
  EventFilter with_ignored(const Reader& reader, const EventFilter& filter);

  RoomCache& rooms_;
  storage::EventStore& store_;
  storage::PositionStore& position_store_;
  storage::UserDataStore& user_data_store_;
  Aggregations& aggregations_;
  Backfill backfill_;
};

}  // namespace myelin::homeserver
