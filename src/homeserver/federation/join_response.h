#pragma once
// The joining server's checks of a send_join answer (server-server-api "Joining Rooms",
// "Checks performed on receipt of a PDU" steps 1–4): every event of `state` and `auth_chain`
// must be a valid PDU of the room's version (format, the room's ID), signed by its required
// servers, hashed (redacted when the hash does not match) and allowed by its own auth events,
// themselves accepted; events failing any check go unused. The create event must be in the
// state and name the room version the template came with. Pure apart from the KeyLookup.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/federation/pdu_checks.h"
#include "rooms/room_version.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

// At most this many events in state and auth_chain together (a room of 100,000 members).
inline constexpr std::size_t kMaxJoinEvents = 250'000;

// A send_join answer's PDUs, read but not yet checked.
struct JoinAnswer {
  std::vector<json::object> state;
  std::vector<json::object> auth_chain;
  std::optional<json::object> event;  // the join as the resident server signed it
};

// The answer's shape: state and auth_chain arrays of objects (at most kMaxJoinEvents
// together), event an object when present. M_BAD_JSON otherwise.
core::Result<JoinAnswer> read_join_answer(json::object body);

// The keys to fetch before check_join_answer: those of every event of the answer and `join`.
std::vector<KeyNeed> join_answer_keys(const JoinAnswer& answer, const json::object& join,
                                      const rooms::RoomVersionRules& rules);

struct JoinedRoom {
  std::string creator;                        // the create event's creator (its sender from v11)
  std::vector<storage::NewOutlier> outliers;  // every accepted event of state and auth_chain
  storage::StateMap state;                    // the accepted state before the join
  json::object join;                          // the join: the resident's countersigned copy, else ours
};

// Checks the answer for a join into `room_id` (of `rules`) of our `join` (built on the
// template, with ID `join_id`): the accepted events, the state they make (M_BAD_JSON when it
// has no accepted create event or one naming another version or room) and the join allowed
// on it (M_FORBIDDEN otherwise).
core::Result<JoinedRoom> check_join_answer(JoinAnswer answer, const std::string& room_id, json::object join,
                                           const std::string& join_id, const rooms::RoomVersionRules& rules,
                                           const KeyLookup& keys);

// The same checks (steps 1–4) for any batch of a room's PDUs (a /backfill answer): each
// event in the room's format, of `room_id`, signed, hashed (redacted on mismatch; "unsigned"
// dropped) and allowed by its auth events, which must be accepted events of the batch or
// `known` ones (accepted here before; nullptr when not known). The accepted events, by ID.
using KnownPdus = std::function<const json::object*(std::string_view event_id)>;
struct CheckedPdu {
  std::string event_id;
  json::object pdu;
};
std::vector<CheckedPdu> check_pdu_batch(std::vector<json::object> pdus, const std::string& room_id,
                                        const json::object& create, const rooms::RoomVersionRules& rules,
                                        const KeyLookup& keys, const KnownPdus& known);

}  // namespace myelin::homeserver
