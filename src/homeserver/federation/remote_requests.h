#pragma once
// What our requests about memberships to other servers share (remote joins, knocks, invites,
// leaves): how a failure reaches our client, the candidate servers and the make_join /
// make_knock / make_leave template asked for, read and filled.
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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
// what another server refused about our user's request (an invite) is the client's answer
// (with the room_version of an M_INCOMPATIBLE_ROOM_VERSION).
core::Error refusal_of(const std::string& server, const IncomingResponse& response);

// The object of a legacy v1 answer, [200, {...}] (v1 send_join, v1 invite); M_BAD_JSON otherwise.
core::Result<json::object> v1_answer(std::string_view body);

// Whether a failed answer says the server does not know the endpoint (404, or
// M_UNRECOGNIZED), so that a server older than the endpoint is asked its v1 predecessor.
bool unknown_endpoint(const IncomingResponse& response);

// Servers tried per join or knock at most.
constexpr std::size_t kMaxCandidates = 10;

// `servers` in order without repeats, empty or invalid names and `own`, at most `max`.
std::vector<std::string> candidate_servers(std::vector<std::string> servers, const std::string& own, std::size_t max);

// The failures of a request tried at candidates in turn, and the client's answer when none
// succeeded: the first refusal in a server's own words (`answered`: the server's answer, not
// our check of it; a 4xx other than M_NOT_FOUND, or any M_FORBIDDEN), else M_NOT_FOUND when
// every server answered that, else 502 M_UNKNOWN naming the last failure.
struct Failures {
  void add(const core::Error& error, bool answered);
  core::Error answer(std::string_view what) const;  // what: "join us to the room"

  std::optional<core::Error> refused;
  bool only_not_found = true;
  std::string last_error;
};

// GET /v1/<endpoint>/{roomId}/{userId} to `server` for a membership template (make_join,
// make_knock, make_leave), its answer at most 256 KB; make_join and make_knock name every room
// version we support (?ver=...), make_leave has no such parameter.
OutgoingRequest template_request(const std::string& server, std::string_view endpoint, const std::string& room_id,
                                 const std::string& user_id);

// A make_join / make_knock / make_leave answer {room_version, event} as the spec requires it: a template of
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
