#pragma once
// State resolution: the state before an event with several prev_events is the resolution of
// the states after them (rooms/v1.md "State resolution" for v1; rooms/fragments/v2-state-res.md
// for v2..v11; rooms/v12.md "State resolution", v2.1 of MSC4297, for v12). Pure: events come
// from an EventSource the caller implements; no I/O, no locks, no globals. Not thread safe: one
// resolution at a time per AuthChains.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "rooms/room_version.h"

namespace myelin::rooms {

using StateKey = std::pair<std::string, std::string>;  // (type, state_key)
using StateMap = std::map<StateKey, std::string>;      // -> event ID

// The caller's events. Every event a state map names, and its whole auth chain, must be
// available; an unknown one makes the resolution fail (M_NOT_FOUND), never crash.
class EventSource {
 public:
  virtual ~EventSource() = default;
  // The PDU with this ID, or nullptr. The pointer must stay valid until the call returns.
  virtual const json::object* event(std::string_view event_id) = 0;
  // Whether the event was rejected by the authorization rules. Rejected events are not used
  // as auth events in the iterative auth checks (v2 "Rejected events").
  virtual bool rejected(std::string_view event_id) = 0;
};

// The auth graph of one room as far as resolutions have walked it: each event's ID and its
// auth_events, read from its PDU once, as small integers, so that auth chains are walked per
// resolution as integer work (no JSON, no string hashing). The caller owns it and may keep it
// for a room across resolutions; it costs about 200 bytes per event plus 4 per auth edge and
// grows with every event a resolution touches (drop it with the room to bound memory). An event
// must not change under the same ID (event IDs are hashes from v3 on).
// Not a set of each event's whole chain: those cost chain length per event, quadratic in a
// room's auth history; a walk over the integer graph is a few milliseconds per 10,000 events.
class AuthChains {
 public:
  using Id = std::uint32_t;

  // The event's index; reads its PDU on first use. Fails (M_NOT_FOUND) when the source does
  // not know it.
  core::Result<Id> intern(EventSource& source, std::string_view event_id);
  const std::string& event_id(Id id) const { return nodes_[id].event_id; }
  std::size_t size() const { return nodes_.size(); }

  // Walks the auth chains of `from`: calls enter(a) for each auth event a of each event walked
  // (starting with `from`), and walks a when it returns true. `enter` must return false for an
  // event it has seen (that bounds the walk). Fails when an event walked is unknown.
  core::Status walk(EventSource& source, std::span<const Id> from, const std::function<bool(Id)>& enter);
  // The auth events of an event walked or interned.
  const std::vector<Id>& auth_events(Id id) const { return nodes_[id].auth; }

 private:
  struct Node {
    std::string event_id;
    std::vector<Id> auth;
    bool loaded = false;
  };
  Id add(std::string_view event_id);
  core::Status load(EventSource& source, Id id);

  std::deque<Node> nodes_;  // stable addresses: index_ views their IDs
  std::unordered_map<std::string_view, Id> index_;
};

// Resolves `states` (one per prev_event) with the room version's algorithm: v2, or v2.1 when
// rules.state_res_v2_1. An empty span gives the empty state, a single state itself. Fails when
// an event is missing from the source or the auth events form a cycle.
core::Result<StateMap> resolve_state(std::span<const StateMap> states, EventSource& source, AuthChains& chains,
                                     const RoomVersionRules& rules);

// State resolution v1 (room version 1), the authorization rules of `rules`. Separate until
// RoomVersionRules says which rooms use it; same contract as resolve_state.
core::Result<StateMap> resolve_state_v1(std::span<const StateMap> states, EventSource& source,
                                        const RoomVersionRules& rules);

}  // namespace myelin::rooms
