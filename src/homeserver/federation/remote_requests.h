#pragma once
// What our requests about memberships to other servers share (remote joins, invites, leaves):
// how a failure reaches our client, and the make_join / make_leave template read and filled.
#include <string>
#include <utility>

#include "core/crypto.h"
#include "core/error.h"
#include "core/json.h"
#include "homeserver/federation/transport.h"
#include "rooms/room_version.h"

namespace myelin::homeserver {

core::Error unreachable(std::string message);  // 502 M_UNKNOWN

// A failed answer's error as the other server gave it (its M_FORBIDDEN and M_NOT_FOUND are
// passed on), or unreachable().
core::Error error_of(const std::string& server, const IncomingResponse& response);
// error_of, but any 4xx with an M_ errcode (at most 64 characters) is passed on as it came:
// what another server refused about our user's request (an invite) is the client's answer.
core::Error refusal_of(const std::string& server, const IncomingResponse& response);

// A make_join / make_leave answer {room_version, event} as the spec requires it: a template of
// an m.room.member `membership` of `user_id` by themselves in `room_id`, of a version we
// support (no room_version: "1").
core::Result<std::pair<const rooms::RoomVersionRules*, json::object>> read_template(const json::object& body,
                                                                                    const std::string& room_id,
                                                                                    const std::string& user_id,
                                                                                    std::string_view membership);

// The template made our event: `content` (membership set here), origin, timestamp, hashes,
// our signature. Returns its event ID; M_BAD_JSON when the result is no valid PDU.
core::Result<std::string> fill_template(json::object& pdu, const rooms::RoomVersionRules& rules, json::object content,
                                        std::string_view membership, const std::string& server_name,
                                        const core::SigningKey& key);

}  // namespace myelin::homeserver
