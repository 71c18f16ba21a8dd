#pragma once
// The in-memory view of one room that the send path and /sync read: current state (PDUs kept
// parsed), forward extremities and who is joined or invited. RoomCache keeps one per room it
// has loaded (shared with those using it, bounded); the write path keeps it equal to the
// store's current state by applying every event it persists (apply()).
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "rooms/room_version.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

struct StateEntry {
  std::string event_id;
  storage::StreamPos pos = 0;
  std::shared_ptr<const json::object> pdu;
};

struct RoomState {
  std::string room_id;
  const rooms::RoomVersionRules* rules = nullptr;
  std::map<storage::StateKey, StateEntry> state;
  // The forward extremities: the events no other event of the room names in prev_events. A
  // new local event names them all; one from another server may leave several.
  std::vector<storage::Extremity> extremities;
  std::int64_t state_group = 0;     // state after the latest event
  storage::StreamPos last_pos = 0;  // position of the latest event
  // Recent membership changes (position, user), oldest first: every m.room.member event after
  // `member_log_from` is here. Bounded; older changes are found by walking the member state.
  std::deque<std::pair<storage::StreamPos, std::string>> member_log;
  storage::StreamPos member_log_from = 0;
  std::set<std::string> joined;
  std::set<std::string> invited;
  // How many of `joined` each server has (the part of the user ID after the first ':'): who
  // federation sends the room's events to, without walking the members.
  std::map<std::string, std::size_t, std::less<>> joined_servers;

  const StateEntry* find(std::string_view type, std::string_view state_key) const;
  const json::object* pdu(std::string_view type, std::string_view state_key) const;
  // The state content of (type, state_key), or nullptr.
  const json::object* content(std::string_view type, std::string_view state_key) const;
  // "join", "invite", ... or "" when the user has no membership event.
  std::string membership(std::string_view user_id) const;
  void log_member_change(storage::StreamPos pos, const std::string& user_id);
  // Puts the user into joined / invited (and joined_servers) as `membership` says, out of them
  // otherwise. The one place these sets change (apply, RoomCache::load).
  void set_membership(const std::string& user_id, std::string_view membership);
  // Reflects the event `row` (whose PDU is `pdu`), persisted at `at`, as the store did: the
  // state it sets, the state event it redacts, membership sets and log, its prev_events no
  // longer forward extremities and itself one, and the room's latest state group and position.
  void apply(const storage::NewEvent& row, const json::object& pdu, const storage::Persisted& at);
  // Calls visit(user_id) for each m.room.member event in (since, upto] (a user may come twice).
  void members_changed(storage::StreamPos since, storage::StreamPos upto,
                       const std::function<void(const std::string&)>& visit) const;
};

// The server part of a user ID ("" when it has no ':').
std::string_view server_of_user(std::string_view user_id);

// The state just before the timeline event `event` (its state group, with its own change
// undone): what /sync shows before a room's first event, what send_join answers.
storage::StateMap state_before(storage::EventStore& store, const storage::StoredEvent& event);

// A string field of a JSON object, or "" when absent or not a string.
std::string_view string_field(const json::object& object, std::string_view key);

}  // namespace myelin::homeserver
