#pragma once
// State resolution over the store, for received events (server-server-api "Room State
// Resolution"; the algorithms are rooms/state_res.h): the events come from the EventStore
// (each read and parsed once per resolution) and those added (not stored yet), rejection from
// the receiver's memory.
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "rooms/room_version.h"
#include "rooms/state_res.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

class StoredEvents final : public rooms::EventSource {
 public:
  using Rejected = std::function<bool(std::string_view event_id)>;
  StoredEvents(storage::EventStore& store, Rejected rejected) : store_(store), rejected_(std::move(rejected)) {}
  void add(const std::string& event_id, const json::object& pdu) { events_.emplace(event_id, pdu); }
  const json::object* event(std::string_view event_id) override;
  bool rejected(std::string_view event_id) override { return rejected_(event_id); }

 private:
  storage::EventStore& store_;
  Rejected rejected_;
  std::map<std::string, json::object, std::less<>> events_;
};

// The resolution of `states` with the room version's algorithm (v1, v2 or v2.1). Reads every
// event the states name and their auth chains: work grows with the room's state.
core::Result<storage::StateMap> resolve_stored(std::vector<storage::StateMap> states, StoredEvents& source,
                                               const rooms::RoomVersionRules& rules);

}  // namespace myelin::homeserver
