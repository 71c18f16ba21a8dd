#include "homeserver/federation/remote_requests.h"

#include <algorithm>

#include "core/clock.h"
#include "core/ids.h"
#include "homeserver/timeline/room_state.h"
#include "http/http.h"
#include "rooms/event_format.h"
#include "rooms/pdu_format.h"

namespace myelin::homeserver {

using core::Errc;

core::Error unreachable(std::string message) { return core::make_error(Errc::kUnknown, std::move(message), 502); }

core::Error error_of(const std::string& server, const IncomingResponse& response) {
  if (response.status == 0) return unreachable(server + " could not be reached: " + response.error);
  auto body = core::parse_json_object(response.body);
  const std::string_view errcode = body ? string_field(*body, "errcode") : "";
  const std::string message = server + ": " + std::string(body ? string_field(*body, "error") : "");
  if (response.status == 403 || errcode == "M_FORBIDDEN") return core::make_error(Errc::kForbidden, message);
  if (response.status == 404 || errcode == "M_NOT_FOUND") return core::make_error(Errc::kNotFound, message);
  return unreachable(message + " (" + std::to_string(response.status) + ")");
}

core::Result<json::object> v1_answer(std::string_view body) {
  auto parsed = core::parse_json(body);
  if (!parsed) return std::unexpected(parsed.error());
  if (!parsed->is_array() || parsed->get_array().size() != 2 || !parsed->get_array()[1].is_object())
    return core::fail(Errc::kBadJson, "a v1 send_join answer is [200, {...}]");
  return std::move(parsed->get_array()[1].get_object());
}

bool unknown_endpoint(const IncomingResponse& response) {
  if (response.status == 404) return true;
  auto body = response.status >= 400 && response.status < 500 ? core::parse_json_object(response.body)
                                                              : core::fail(Errc::kUnknown, "");
  return body && string_field(*body, "errcode") == "M_UNRECOGNIZED";
}

core::Error refusal_of(const std::string& server, const IncomingResponse& response) {
  auto body = response.status >= 400 && response.status < 500 ? core::parse_json_object(response.body)
                                                              : core::fail(Errc::kUnknown, "");
  const std::string_view errcode = body ? string_field(*body, "errcode") : "";
  if (!errcode.starts_with("M_") || errcode.size() > 64) return error_of(server, response);
  core::Error error{
      response.status, std::string(errcode), server + ": " + std::string(string_field(*body, "error")), {}};
  // The room's version, which the client is to be told with this error (client-server-api /join).
  if (errcode == "M_INCOMPATIBLE_ROOM_VERSION")
    if (const std::string_view version = string_field(*body, "room_version"); !version.empty() && version.size() <= 32)
      error.extra["room_version"] = version;
  return error;
}

std::vector<std::string> candidate_servers(std::vector<std::string> servers, const std::string& own, std::size_t max) {
  std::vector<std::string> candidates;
  for (auto& server : servers) {
    if (candidates.size() == max) break;
    if (server.empty() || server == own || !core::ServerName::parse(server) ||
        std::ranges::find(candidates, server) != candidates.end())
      continue;
    candidates.push_back(std::move(server));
  }
  return candidates;
}

void Failures::add(const core::Error& error, bool answered) {
  const bool refusal =
      (answered && error.http_status >= 400 && error.http_status < 500 && error.errcode != "M_NOT_FOUND") ||
      error.errcode == "M_FORBIDDEN";
  if (refusal && !refused) refused = error;
  only_not_found = only_not_found && error.errcode == "M_NOT_FOUND";
  last_error = error.message;
}

core::Error Failures::answer(std::string_view what) const {
  if (refused) return *refused;
  if (only_not_found) return core::make_error(Errc::kNotFound, "No server knows this room");
  return unreachable("No server could " + std::string(what) + ": " + last_error);
}

OutgoingRequest template_request(const std::string& server, std::string_view endpoint, const std::string& room_id,
                                 const std::string& user_id) {
  OutgoingRequest request;
  request.destination = server;
  request.method = "GET";
  request.target = "/_matrix/federation/v1/" + std::string(endpoint) + "/" + http::percent_encode(room_id) + "/" +
                   http::percent_encode(user_id);
  if (endpoint != "make_leave") {
    char separator = '?';
    for (const auto& rules : rooms::supported_room_versions()) {
      request.target += separator + std::string("ver=") + http::percent_encode(rules.id);
      separator = '&';
    }
  }
  request.max_response_bytes = 256 << 10;  // a template is one event
  return request;
}

core::Result<std::pair<const rooms::RoomVersionRules*, json::object>> read_template(const json::object& body,
                                                                                    const std::string& room_id,
                                                                                    const std::string& user_id,
                                                                                    std::string_view membership) {
  const json::value* version = body.if_contains("room_version");
  const rooms::RoomVersionRules* rules =
      rooms::find_room_version(version ? (version->is_string() ? std::string_view(version->get_string()) : "") : "1");
  if (!rules) return core::fail(Errc::kUnsupportedRoomVersion, "The room's version is not supported here");
  const json::value* event = body.if_contains("event");
  if (!event || !event->is_object()) return core::fail(Errc::kBadJson, "No event template");
  const json::object& pdu = event->get_object();
  const json::value* content = pdu.if_contains("content");
  if (string_field(pdu, "room_id") != room_id || string_field(pdu, "sender") != user_id ||
      string_field(pdu, "state_key") != user_id || string_field(pdu, "type") != "m.room.member" || !content ||
      !content->is_object() || string_field(content->get_object(), "membership") != membership)
    return core::fail(Errc::kBadJson, "The event template is not our user's " + std::string(membership));
  return std::make_pair(rules, pdu);
}

core::Result<std::string> fill_template(json::object& pdu, const rooms::RoomVersionRules& rules, json::object content,
                                        std::string_view membership, const std::string& server_name,
                                        const core::SigningKey& key) {
  content["membership"] = membership;
  for (const char* field : {"event_id", "hashes", "signatures", "unsigned"}) pdu.erase(field);
  pdu["content"] = std::move(content);
  pdu["origin"] = server_name;
  pdu["origin_server_ts"] = core::now_ms();
  std::string event_id = rooms::finalize_local_event(pdu, rules, server_name, key);
  if (auto format = rooms::check_pdu_format(pdu, rules); !format)
    return core::fail(Errc::kBadJson, "the event made on its template is invalid: " + format.error().message);
  return event_id;
}

}  // namespace myelin::homeserver
