#include "homeserver/federation/remote_joins.h"

#include <algorithm>
#include <utility>

#include "core/clock.h"
#include "homeserver/timeline/room_state.h"
#include "http/http.h"
#include "rooms/event_format.h"
#include "rooms/pdu_format.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

core::Error unreachable(std::string message) { return core::make_error(Errc::kUnknown, std::move(message), 502); }

// A failed answer's error as the other server gave it (its errcode decides how the client is
// answered), or unreachable().
core::Error error_of(const std::string& server, const IncomingResponse& response) {
  if (response.status == 0) return unreachable(server + " could not be reached: " + response.error);
  auto body = core::parse_json_object(response.body);
  const std::string_view errcode = body ? string_field(*body, "errcode") : "";
  const std::string message = server + ": " + std::string(body ? string_field(*body, "error") : "");
  if (response.status == 403 || errcode == "M_FORBIDDEN") return core::make_error(Errc::kForbidden, message);
  if (response.status == 404 || errcode == "M_NOT_FOUND") return core::make_error(Errc::kNotFound, message);
  return unreachable(message + " (" + std::to_string(response.status) + ")");
}

std::string make_join_target(const std::string& room_id, const std::string& user_id) {
  std::string target =
      "/_matrix/federation/v1/make_join/" + http::percent_encode(room_id) + "/" + http::percent_encode(user_id);
  char separator = '?';
  for (const auto& rules : rooms::supported_room_versions()) {
    target += separator + std::string("ver=") + http::percent_encode(rules.id);
    separator = '&';
  }
  return target;
}

// The make_join template as the spec requires it: for our user, of the room, a join.
core::Result<std::pair<const rooms::RoomVersionRules*, json::object>> read_template(const json::object& body,
                                                                                    const std::string& room_id,
                                                                                    const std::string& user_id) {
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
      !content->is_object() || string_field(content->get_object(), "membership") != "join")
    return core::fail(Errc::kBadJson, "The event template is not our user's join");
  return std::make_pair(rules, pdu);
}

}  // namespace

struct RemoteJoins::Attempt {
  std::string user_id;
  std::string room_id;
  json::object content;
  std::vector<std::string> candidates;
  std::size_t next = 0;
  std::optional<core::Error> refused;  // the first M_FORBIDDEN
  bool only_not_found = true;          // every server answered M_NOT_FOUND
  std::string last_error;
  Done done;
};

void RemoteJoins::query_alias(const core::RoomAlias& alias, std::function<void(core::Result<AliasAnswer>)> done) {
  OutgoingRequest request;
  request.destination = std::string(alias.server());
  request.method = "GET";
  request.target = "/_matrix/federation/v1/query/directory?room_alias=" + http::percent_encode(alias.str());
  request.max_response_bytes = 64 << 10;
  std::string server = request.destination;
  transport_.send(std::move(request), [server = std::move(server), done = std::move(done)](IncomingResponse response) {
    if (response.status != 200) {
      core::Error error = error_of(server, response);
      return done(std::unexpected(error.errcode == "M_NOT_FOUND"
                                      ? core::make_error(Errc::kNotFound, "Room alias not found")
                                      : std::move(error)));
    }
    auto body = core::parse_json_object(response.body);
    const json::value* servers = body ? body->if_contains("servers") : nullptr;
    if (!body || !core::RoomId::parse(string_field(*body, "room_id")) || !servers || !servers->is_array())
      return done(std::unexpected(unreachable(server + " answered the alias query with nonsense")));
    AliasAnswer answer{std::string(string_field(*body, "room_id")), {}};
    for (const auto& name : servers->get_array()) {
      if (answer.servers.size() == kMaxCandidates) break;
      if (name.is_string()) answer.servers.emplace_back(name.get_string());
    }
    done(std::move(answer));
  });
}

void RemoteJoins::join(const core::UserId& user_id, const std::string& room_id_or_alias, std::vector<std::string> via,
                       json::object content, Done done) {
  auto attempt = std::make_shared<Attempt>();
  attempt->user_id = user_id.str();
  attempt->content = std::move(content);
  attempt->candidates = std::move(via);
  attempt->done = std::move(done);
  if (auto room_id = core::RoomId::parse(room_id_or_alias)) {
    attempt->room_id = room_id->str();
    attempt->candidates.emplace_back(room_id->server());
    return start(std::move(attempt));
  }
  auto alias = core::RoomAlias::parse(room_id_or_alias);
  if (!alias) return attempt->done(core::fail(Errc::kInvalidParam, "Not a room ID or alias"));
  query_alias(*alias, [this, attempt, server = std::string(alias->server())](core::Result<AliasAnswer> answer) {
    if (!answer) return attempt->done(std::unexpected(answer.error()));
    attempt->room_id = std::move(answer->room_id);
    attempt->candidates.insert(attempt->candidates.end(), answer->servers.begin(), answer->servers.end());
    attempt->candidates.push_back(server);
    start(attempt);
  });
}

void RemoteJoins::start(std::shared_ptr<Attempt> attempt) {
  std::vector<std::string> candidates;
  for (auto& server : attempt->candidates) {
    if (candidates.size() == kMaxCandidates) break;
    if (server.empty() || server == config_.server_name || !core::ServerName::parse(server) ||
        std::ranges::find(candidates, server) != candidates.end())
      continue;
    candidates.push_back(std::move(server));
  }
  if (candidates.empty()) return attempt->done(core::fail(Errc::kNotFound, "No known server can join this room"));
  attempt->candidates = std::move(candidates);
  try_next(std::move(attempt));
}

void RemoteJoins::try_next(std::shared_ptr<Attempt> attempt) {
  if (attempt->next == attempt->candidates.size()) {
    if (attempt->refused) return attempt->done(std::unexpected(*attempt->refused));
    if (attempt->only_not_found) return attempt->done(core::fail(Errc::kNotFound, "No server knows this room"));
    return attempt->done(std::unexpected(unreachable("No server could join us to the room: " + attempt->last_error)));
  }
  const std::string server = attempt->candidates[attempt->next++];
  OutgoingRequest request;
  request.destination = server;
  request.method = "GET";
  request.target = make_join_target(attempt->room_id, attempt->user_id);
  request.max_response_bytes = 256 << 10;
  transport_.send(std::move(request),
                  [this, attempt, server](IncomingResponse response) { on_make_join(attempt, server, response); });
}

void RemoteJoins::failed(std::shared_ptr<Attempt> attempt, const core::Error& error) {
  if (error.errcode == "M_FORBIDDEN" && !attempt->refused) attempt->refused = error;
  attempt->only_not_found = attempt->only_not_found && error.errcode == "M_NOT_FOUND";
  attempt->last_error = error.message;
  try_next(std::move(attempt));
}

void RemoteJoins::on_make_join(std::shared_ptr<Attempt> attempt, const std::string& server,
                               const IncomingResponse& response) {
  auto fail_here = [this, attempt](const core::Error& error) { failed(attempt, error); };
  if (response.status != 200) return fail_here(error_of(server, response));
  auto body = core::parse_json_object(response.body);
  if (!body) return fail_here(unreachable(server + ": make_join answered no JSON"));
  auto read = read_template(*body, attempt->room_id, attempt->user_id);
  if (!read) return fail_here(unreachable(server + ": " + read.error().message));
  const rooms::RoomVersionRules* rules = read->first;
  json::object& pdu = read->second;
  json::object content = attempt->content;
  content["membership"] = "join";
  if (const json::value* via = pdu.at("content").get_object().if_contains("join_authorised_via_users_server"))
    content["join_authorised_via_users_server"] = *via;
  for (const char* key : {"event_id", "hashes", "signatures", "unsigned"}) pdu.erase(key);
  pdu["content"] = std::move(content);
  pdu["origin"] = config_.server_name;
  pdu["origin_server_ts"] = core::now_ms();
  std::string join_id = rooms::finalize_local_event(pdu, *rules, config_.server_name, key_);
  if (auto format = rooms::check_pdu_format(pdu, *rules); !format)
    return fail_here(unreachable(server + ": the join made on its template is invalid: " + format.error().message));
  OutgoingRequest request;
  request.destination = server;
  request.method = "PUT";
  request.target = "/_matrix/federation/v2/send_join/" + http::percent_encode(attempt->room_id) + "/" +
                   http::percent_encode(join_id);
  request.body = pdu;
  request.max_response_bytes = kMaxSendJoinBytes;
  request.timeout = std::chrono::seconds(120);
  transport_.send(std::move(request), [this, attempt, rules, pdu = std::move(pdu),
                                       join_id = std::move(join_id)](IncomingResponse response) mutable {
    on_send_join(attempt, *rules, std::move(pdu), std::move(join_id), response);
  });
}

void RemoteJoins::on_send_join(std::shared_ptr<Attempt> attempt, const rooms::RoomVersionRules& rules,
                               json::object join, std::string join_id, const IncomingResponse& response) {
  const std::string& server = attempt->candidates[attempt->next - 1];
  auto fail_here = [this, attempt](const core::Error& error) { failed(attempt, error); };
  if (response.status != 200) return fail_here(error_of(server, response));
  auto body = core::parse_json_object(response.body);
  if (!body) return fail_here(unreachable(server + ": send_join answered no JSON"));
  auto answer = read_join_answer(std::move(*body));
  if (!answer) return fail_here(unreachable(server + ": " + answer.error().message));
  std::vector<KeyNeed> needs = join_answer_keys(*answer, join, rules);
  keys_.fetch(std::move(needs), [this, attempt, &rules, answer = std::move(*answer), join = std::move(join),
                                 join_id = std::move(join_id), fail_here](KeyLookup lookup) mutable {
    auto joined = check_join_answer(std::move(answer), attempt->room_id, std::move(join), join_id, rules, lookup);
    if (!joined) return fail_here(joined.error());
    persist(*attempt, rules, std::move(*joined));
    attempt->done(attempt->room_id);
  });
}

void RemoteJoins::persist(const Attempt& attempt, const rooms::RoomVersionRules& rules, JoinedRoom joined) {
  store_.persist_outliers(joined.outliers);
  BuiltEvent built;
  storage::NewEvent& row = built.row;
  row.event_id = rooms::event_id_of(joined.join, rules);
  row.room_id = attempt.room_id;
  row.type = "m.room.member";
  row.state_key = attempt.user_id;
  row.sender = attempt.user_id;
  row.depth = joined.join.at("depth").as_int64();
  row.origin_server_ts = joined.join.at("origin_server_ts").as_int64();
  row.json = core::canonical_json(joined.join);
  for (std::string_view prev : rooms::referenced_event_ids(joined.join, "prev_events", rules))
    row.prev_events.emplace_back(prev);
  row.current_state = joined.state;
  (*row.current_state)[{"m.room.member", attempt.user_id}] = row.event_id;
  row.state_before = std::move(joined.state);
  built.pdu = std::move(joined.join);
  write_path_.write_remote_join({attempt.room_id, std::string(rules.id), joined.creator, false}, built);
}

}  // namespace myelin::homeserver
