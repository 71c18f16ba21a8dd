#include "homeserver/federation/remote_joins.h"

#include <algorithm>
#include <map>
#include <utility>

#include "core/clock.h"
#include "homeserver/federation/invites.h"
#include "homeserver/federation/remote_requests.h"
#include "homeserver/timeline/room_state.h"
#include "http/http.h"
#include "rooms/event_format.h"
#include "rooms/pdu_format.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

// `lookup`'s answers for `needs`, kept: a lookup a worker thread may use.
KeyLookup frozen(const std::vector<KeyNeed>& needs, const KeyLookup& lookup) {
  auto keys = std::make_shared<std::map<std::pair<std::string, std::string>, VerifyKey>>();
  for (const auto& need : needs)
    if (auto key = lookup(need.server, need.key_id)) (*keys)[{need.server, need.key_id}] = *key;
  return [keys](std::string_view server, std::string_view key_id) -> std::optional<VerifyKey> {
    auto it = keys->find({std::string(server), std::string(key_id)});
    return it == keys->end() ? std::nullopt : std::optional<VerifyKey>(it->second);
  };
}

}  // namespace

struct RemoteJoins::Attempt {
  std::string user_id;
  std::string room_id;
  json::object content;
  std::vector<std::string> candidates;
  std::size_t next = 0;
  Failures failures;
  Done done;
};

void RemoteJoins::query_alias(const core::RoomAlias& alias, std::function<void(core::Result<ResolvedAlias>)> done) {
  OutgoingRequest request;
  request.destination = std::string(alias.server());
  request.method = "GET";
  request.target = "/_matrix/federation/v1/query/directory?room_alias=" + http::percent_encode(alias.str());
  request.max_response_bytes = 64 << 10;
  std::string server = request.destination;
  transport_.send(std::move(request), [server = std::move(server), done = std::move(done)](IncomingResponse response) {
    if (response.status != 200) {
      core::Error error = refusal_of(server, response);
      return done(std::unexpected(error.errcode == "M_NOT_FOUND"
                                      ? core::make_error(Errc::kNotFound, "Room alias not found")
                                      : std::move(error)));
    }
    auto body = core::parse_json_object(response.body);
    const json::value* servers = body ? body->if_contains("servers") : nullptr;
    if (!body || !core::RoomId::parse(string_field(*body, "room_id")) || !servers || !servers->is_array())
      return done(std::unexpected(unreachable(server + " answered the alias query with nonsense")));
    ResolvedAlias answer{std::string(string_field(*body, "room_id")), {}};
    for (const auto& name : servers->get_array()) {
      if (answer.servers.size() == kMaxCandidates) break;
      if (name.is_string()) answer.servers.emplace_back(name.get_string());
    }
    done(std::move(answer));
  });
}

void RemoteJoins::join(const core::UserId& user_id, const core::RoomId& room_id, std::vector<std::string> servers,
                       json::object content, Done done) {
  auto attempt = std::make_shared<Attempt>();
  attempt->user_id = user_id.str();
  attempt->room_id = room_id.str();
  attempt->content = std::move(content);
  attempt->candidates = std::move(servers);
  attempt->done = std::move(done);
  start(std::move(attempt));
}

void RemoteJoins::start(std::shared_ptr<Attempt> attempt) {
  attempt->candidates = candidate_servers(std::move(attempt->candidates), config_.server_name, kMaxCandidates);
  if (attempt->candidates.empty())
    return attempt->done(core::fail(Errc::kNotFound, "No known server can join this room"));
  try_next(std::move(attempt));
}

void RemoteJoins::try_next(std::shared_ptr<Attempt> attempt) {
  if (attempt->next == attempt->candidates.size())
    return attempt->done(std::unexpected(attempt->failures.answer("join us to the room")));
  const std::string server = attempt->candidates[attempt->next++];
  transport_.send(template_request(server, "make_join", attempt->room_id, attempt->user_id),
                  [this, attempt, server](IncomingResponse response) { on_make_join(attempt, server, response); });
}

void RemoteJoins::failed(std::shared_ptr<Attempt> attempt, const core::Error& error, bool answered) {
  attempt->failures.add(error, answered);
  try_next(std::move(attempt));
}

void RemoteJoins::on_make_join(std::shared_ptr<Attempt> attempt, const std::string& server,
                               const IncomingResponse& response) {
  auto fail_here = [this, attempt](const core::Error& error) { failed(attempt, error); };
  if (response.status != 200) return failed(attempt, refusal_of(server, response), true);
  auto body = core::parse_json_object(response.body);
  if (!body) return fail_here(unreachable(server + ": make_join answered no JSON"));
  auto read = read_template(*body, attempt->room_id, attempt->user_id, "join");
  if (!read) return fail_here(unreachable(server + ": " + read.error().message));
  const rooms::RoomVersionRules* rules = read->first;
  json::object& pdu = read->second;
  json::object content = attempt->content;
  if (const json::value* via = pdu.at("content").get_object().if_contains("join_authorised_via_users_server"))
    content["join_authorised_via_users_server"] = *via;
  auto filled = fill_template(pdu, *rules, std::move(content), "join", config_.server_name, key_);
  if (!filled) return fail_here(unreachable(server + ": " + filled.error().message));
  std::string join_id = std::move(*filled);
  send_join(std::move(attempt), *rules, std::move(pdu), std::move(join_id), false);
}

void RemoteJoins::send_join(std::shared_ptr<Attempt> attempt, const rooms::RoomVersionRules& rules, json::object join,
                            std::string join_id, bool v1) {
  OutgoingRequest request;
  request.destination = attempt->candidates[attempt->next - 1];
  request.method = "PUT";
  request.target = std::string(v1 ? "/_matrix/federation/v1" : "/_matrix/federation/v2") + "/send_join/" +
                   http::percent_encode(attempt->room_id) + "/" + http::percent_encode(join_id);
  request.body = join;
  request.max_response_bytes = kMaxSendJoinBytes;
  request.timeout = std::chrono::seconds(120);
  transport_.send(std::move(request), [this, attempt, &rules, join = std::move(join), join_id = std::move(join_id),
                                       v1](IncomingResponse response) mutable {
    on_send_join(attempt, rules, std::move(join), std::move(join_id), v1, std::move(response));
  });
}

// One send_join answer on its way: read off the loop, its keys fetched on it, checked off it.
// The worker steps touch only this.
struct RemoteJoins::Answer {
  std::shared_ptr<Attempt> attempt;
  const rooms::RoomVersionRules* rules = nullptr;
  std::string server;
  std::string room_id;
  json::object join;
  std::string join_id;
  std::string body;
  std::optional<core::Result<JoinAnswer>> read;
  std::optional<core::Result<JoinedRoom>> checked;
};

void RemoteJoins::on_send_join(std::shared_ptr<Attempt> attempt, const rooms::RoomVersionRules& rules,
                               json::object join, std::string join_id, bool v1, IncomingResponse response) {
  const std::string server = attempt->candidates[attempt->next - 1];
  if (response.status != 200) {
    if (!v1 && unknown_endpoint(response))
      return send_join(std::move(attempt), rules, std::move(join), std::move(join_id), true);
    return failed(std::move(attempt), refusal_of(server, response), true);
  }
  auto answer = std::make_shared<Answer>();
  answer->attempt = std::move(attempt);
  answer->rules = &rules;
  answer->server = server;
  answer->room_id = answer->attempt->room_id;
  answer->join = std::move(join);
  answer->join_id = std::move(join_id);
  answer->body = std::move(response.body);
  scheduler_.run_blocking(
      [answer, v1] {
        auto body = v1 ? v1_answer(answer->body) : core::parse_json_object(answer->body);
        answer->body = std::string();
        answer->read =
            body ? read_join_answer(std::move(*body)) : core::Result<JoinAnswer>(std::unexpected(body.error()));
      },
      [this, answer] { fetch_keys(answer); });
}

void RemoteJoins::fetch_keys(std::shared_ptr<Answer> answer) {
  if (!answer->read) return failed(answer->attempt, unreachable(answer->server + ": the answer could not be read"));
  if (!*answer->read)
    return failed(answer->attempt, unreachable(answer->server + ": " + answer->read->error().message));
  std::vector<KeyNeed> needs = join_answer_keys(**answer->read, answer->join, *answer->rules);
  keys_.fetch(needs, [this, answer, needs](KeyLookup lookup) {
    KeyLookup keys = frozen(needs, lookup);
    scheduler_.run_blocking(
        [answer, keys] {
          answer->checked = check_join_answer(std::move(**answer->read), answer->room_id, std::move(answer->join),
                                              answer->join_id, *answer->rules, keys);
        },
        [this, answer] { finish(answer); });
  });
}

void RemoteJoins::finish(std::shared_ptr<Answer> answer) {
  if (!answer->checked)
    return failed(answer->attempt, unreachable(answer->server + ": the answer could not be checked"));
  if (!*answer->checked) return failed(answer->attempt, answer->checked->error());
  persist(*answer->attempt, *answer->rules, std::move(**answer->checked));
  answer->attempt->done(answer->attempt->room_id);
}

void RemoteJoins::persist(const Attempt& attempt, const rooms::RoomVersionRules& rules, JoinedRoom joined) {
  store_.persist_outliers(joined.outliers);
  BuiltEvent built = built_from_pdu(std::move(joined.join), rules);
  storage::NewEvent& row = built.row;
  // A room known through an invite: its invite stops being a forward extremity.
  for (const storage::Extremity& extremity : store_.forward_extremities(attempt.room_id))
    row.prev_events.push_back(extremity.event_id);
  row.current_state = joined.state;
  (*row.current_state)[{"m.room.member", attempt.user_id}] = row.event_id;
  row.state_before = std::move(joined.state);
  write_path_.write_remote_join({attempt.room_id, std::string(rules.id), joined.creator, false}, built);
}

}  // namespace myelin::homeserver
