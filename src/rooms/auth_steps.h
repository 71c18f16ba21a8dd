#pragma once
// Internal to src/rooms: the parts of authorize_event that live in their own files. Each
// returns the final verdict for its event type (allow or M_FORBIDDEN).
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "rooms/auth.h"

namespace myelin::rooms::internal {

// An M_FORBIDDEN failure whose message names the spec rule.
std::unexpected<core::Error> reject(std::string message);

// Rule 5 (v10/v11: 4): m.room.member events (auth_membership.cc).
core::Status check_membership(const json::object& pdu, const StateLookup& state, const PowerLevels& levels,
                              const json::object& create, const RoomVersionRules& rules);

// Rule 10 (v10/v11: 9): m.room.power_levels events (auth_power_levels.cc). `previous` is the
// current m.room.power_levels PDU or nullptr.
core::Status check_power_levels(const json::object& pdu, const json::object* previous, const PowerLevels& levels,
                                const RoomVersionRules& rules);

}  // namespace myelin::rooms::internal
