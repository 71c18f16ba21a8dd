#pragma once
// Internal to src/rooms: the steps of state resolution (state_res.cc, state_res_v1.cc,
// state_res_v2.cc), declared here for them and for their tests.
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rooms/state_res.h"

namespace myelin::rooms::internal {

// The event IDs a PDU's `key` ("auth_events", "prev_events") lists, in either shape: plain IDs
// (v3+) or [id, {hashes}] pairs (v1, v2). Other entries are skipped. Views into `pdu`.
std::vector<std::string_view> referenced_ids(const json::object& pdu, std::string_view key);

// The source's PDU, or M_NOT_FOUND naming the event.
core::Result<const json::object*> get_event(EventSource& source, std::string_view event_id);

// The state key of a state event ("" type and key when it has none).
StateKey state_key_of(const json::object& pdu);

struct SplitState {
  StateMap unconflicted;
  std::map<StateKey, std::vector<std::string>> conflicted;  // the distinct events, sorted
};
// v2 (`absent_conflicts`): a key is unconflicted when every state has it with the same event.
// v1: when the states that have it agree (rooms/v1.md: a conflict is different event IDs).
SplitState split_states(std::span<const StateMap> states, bool absent_conflicts);

// v2 "Auth difference": the events in the auth chains of some of the states but not all.
core::Result<std::vector<AuthChains::Id>> auth_difference(std::span<const StateMap> states, const SplitState& split,
                                                          EventSource& source, AuthChains& chains);

// v2.1 "Conflicted state subgraph", without its endpoints (they are `conflicted`): the events
// on an auth_events path from one conflicted event to another.
core::Result<std::vector<AuthChains::Id>> conflicted_subgraph(std::span<const AuthChains::Id> conflicted,
                                                              EventSource& source, AuthChains& chains);

// The algorithms; `states` has at least two entries.
core::Result<StateMap> resolve_v1(std::span<const StateMap> states, EventSource& source, const RoomVersionRules& rules);
core::Result<StateMap> resolve_v2(std::span<const StateMap> states, EventSource& source, AuthChains& chains,
                                  const RoomVersionRules& rules);

}  // namespace myelin::rooms::internal
