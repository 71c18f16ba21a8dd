#include "homeserver/federation/remote_memberships.h"

#include "core/clock.h"
#include "homeserver/federation/invites.h"
#include "homeserver/federation/remote_requests.h"
#include "http/http.h"
#include "rooms/event_format.h"

namespace myelin::homeserver {
namespace {

constexpr std::size_t kMaxKnockAnswerBytes = 1 << 20;  // knock_room_state: 50 events are kept

}  // namespace

void RemoteMemberships::invite(const rooms::RoomVersionRules& rules, json::object pdu, json::array invite_room_state,
                               std::function<void(core::Result<json::object>)> done) {
  rooms::sign_own_event(pdu, rules, config_.server_name, key_);
  const std::string event_id = rooms::event_id_of(pdu, rules);
  auto invitee = core::UserId::parse(string_field(pdu, "state_key"));
  if (!invitee) return done(core::fail(core::Errc::kInvalidParam, "Invalid user ID"));
  send_invite(rules, std::string(invitee->server()), std::move(pdu), std::move(invite_room_state), event_id, false,
              std::move(done));
}

void RemoteMemberships::send_invite(const rooms::RoomVersionRules& rules, const std::string& server, json::object pdu,
                                    json::array invite_room_state, const std::string& event_id, bool v1,
                                    std::function<void(core::Result<json::object>)> done) {
  OutgoingRequest request;
  request.destination = server;
  request.method = "PUT";
  request.target = std::string(v1 ? "/_matrix/federation/v1/invite/" : "/_matrix/federation/v2/invite/") +
                   http::percent_encode(string_field(pdu, "room_id")) + "/" + http::percent_encode(event_id);
  if (v1) request.body = pdu;
  else
    request.body = json::object{{"room_version", rules.id}, {"event", pdu}, {"invite_room_state", invite_room_state}};
  transport_.send(std::move(request), [this, rules = &rules, event_id, server, v1, pdu = std::move(pdu),
                                       invite_room_state = std::move(invite_room_state),
                                       done = std::move(done)](IncomingResponse response) mutable {
    // A server older than v2 invites knows only v1, which rooms of versions 1 and 2 alone
    // may use (its receiver assumes one of them).
    if (response.status != 200 && !v1 && unknown_endpoint(response) && (rules->id == "1" || rules->id == "2"))
      return send_invite(*rules, server, std::move(pdu), std::move(invite_room_state), event_id, true, std::move(done));
    if (response.status != 200) return done(std::unexpected(refusal_of(server, response)));
    auto body = v1 ? v1_answer(response.body) : core::parse_json_object(response.body);
    const json::value* event = body ? body->if_contains("event") : nullptr;
    if (!event || !event->is_object() || rooms::event_id_of(event->get_object(), *rules) != event_id)
      return done(std::unexpected(unreachable(server + " answered the invite with another event")));
    json::object signed_pdu = event->get_object();
    signed_pdu.erase("unsigned");
    if (!content_hash_matches(signed_pdu))
      return done(std::unexpected(unreachable(server + " answered the invite with a changed event")));
    std::vector<KeyNeed> needs = signing_keys_needed(signed_pdu, *rules, server);
    keys_.fetch(std::move(needs),
                [rules, server, signed_pdu = std::move(signed_pdu), done = std::move(done)](KeyLookup lookup) mutable {
                  if (auto verified = verify_pdu_signatures(signed_pdu, *rules, lookup, server); !verified)
                    return done(std::unexpected(unreachable(server + ": " + verified.error().message)));
                  done(std::move(signed_pdu));
                });
  });
}

struct RemoteMemberships::Knock {
  std::string user_id;
  std::string room_id;
  json::object content;
  std::vector<std::string> candidates;
  std::size_t next = 0;
  Failures failures;
  std::function<void(core::Result<std::string>)> done;
};

void RemoteMemberships::knock(const core::UserId& user_id, const core::RoomId& room_id,
                              std::vector<std::string> servers, json::object content,
                              std::function<void(core::Result<std::string>)> done) {
  auto knock = std::make_shared<Knock>();
  knock->user_id = user_id.str();
  knock->room_id = room_id.str();
  knock->content = std::move(content);
  knock->candidates = candidate_servers(std::move(servers), config_.server_name, kMaxCandidates);
  knock->done = std::move(done);
  if (knock->candidates.empty())
    return knock->done(core::fail(core::Errc::kNotFound, "No known server can knock on this room"));
  try_knock(std::move(knock));
}

void RemoteMemberships::try_knock(std::shared_ptr<Knock> knock) {
  if (knock->next == knock->candidates.size())
    return knock->done(std::unexpected(knock->failures.answer("knock on the room for us")));
  const std::string server = knock->candidates[knock->next++];
  transport_.send(template_request(server, "make_knock", knock->room_id, knock->user_id),
                  [this, knock, server](IncomingResponse response) { on_make_knock(knock, server, response); });
}

void RemoteMemberships::on_make_knock(std::shared_ptr<Knock> knock, const std::string& server,
                                      const IncomingResponse& response) {
  auto failed = [this, knock](const core::Error& error, bool answered) {
    knock->failures.add(error, answered);
    try_knock(knock);
  };
  if (response.status != 200) return failed(refusal_of(server, response), true);
  auto body = core::parse_json_object(response.body);
  if (!body) return failed(unreachable(server + ": make_knock answered no JSON"), false);
  auto read = read_template(*body, knock->room_id, knock->user_id, "knock");
  if (!read) return failed(unreachable(server + ": " + read.error().message), false);
  const rooms::RoomVersionRules* rules = read->first;
  if (!rules->knocking) return failed(unreachable(server + ": the room's version has no knocks"), false);
  json::object pdu = std::move(read->second);
  auto event_id = fill_template(pdu, *rules, knock->content, "knock", config_.server_name, key_);
  if (!event_id) return failed(unreachable(server + ": " + event_id.error().message), false);
  OutgoingRequest request;
  request.destination = server;
  request.method = "PUT";
  request.target = "/_matrix/federation/v1/send_knock/" + http::percent_encode(knock->room_id) + "/" +
                   http::percent_encode(*event_id);
  request.body = pdu;
  request.max_response_bytes = kMaxKnockAnswerBytes;
  transport_.send(std::move(request), [this, knock, server, rules, pdu = std::move(pdu),
                                       failed](IncomingResponse sent) mutable {
    if (sent.status != 200) return failed(refusal_of(server, sent), true);
    auto answer = core::parse_json_object(sent.body);
    const json::value* state = answer ? answer->if_contains("knock_room_state") : nullptr;
    if (!state || !state->is_array())
      return failed(unreachable(server + ": send_knock answered no knock_room_state"), false);
    pdu["unsigned"] = json::object{{"knocked_through", server}};
    write_with_room_state(rooms_, write_path_, *rules, std::move(pdu), stripped_state_of(state), "knock_room_state");
    knock->done(knock->room_id);
  });
}

void RemoteMemberships::leave(const core::UserId& user_id, const core::RoomId& room_id, const std::string& server,
                              const std::string& reason, std::function<void(core::Status)> done) {
  if (!core::ServerName::parse(server) || server == config_.server_name) {
    leave_locally(user_id.str(), room_id.str(), reason);
    return done({});
  }
  transport_.send(
      template_request(server, "make_leave", room_id.str(), user_id.str()),
      [this, user = user_id.str(), room = room_id.str(), server, reason, done = std::move(done)](
          IncomingResponse response) mutable { on_make_leave(user, room, server, reason, response, std::move(done)); });
}

void RemoteMemberships::on_make_leave(const std::string& user_id, const std::string& room_id, const std::string& server,
                                      const std::string& reason, const IncomingResponse& response,
                                      std::function<void(core::Status)> done) {
  auto give_up = [this, &user_id, &room_id, &reason, &done] {
    leave_locally(user_id, room_id, reason);
    done({});
  };
  if (response.status != 200) return give_up();
  auto body = core::parse_json_object(response.body);
  if (!body) return give_up();
  auto read = read_template(*body, room_id, user_id, "leave");
  if (!read) return give_up();
  const rooms::RoomVersionRules* rules = read->first;
  json::object pdu = std::move(read->second);
  json::object content;
  if (!reason.empty()) content["reason"] = reason;
  auto event_id = fill_template(pdu, *rules, std::move(content), "leave", config_.server_name, key_);
  if (!event_id) return give_up();
  OutgoingRequest request;
  request.destination = server;
  request.method = "PUT";
  request.target =
      "/_matrix/federation/v2/send_leave/" + http::percent_encode(room_id) + "/" + http::percent_encode(*event_id);
  request.body = pdu;
  transport_.send(std::move(request), [this, rules, pdu = std::move(pdu), user_id, room_id, reason,
                                       done = std::move(done)](IncomingResponse sent) mutable {
    if (sent.status != 200) leave_locally(user_id, room_id, reason);
    else write_out_of_room(rooms_, write_path_, *rules, std::move(pdu), user_id);
    done({});
  });
}

void RemoteMemberships::leave_locally(const std::string& user_id, const std::string& room_id,
                                      const std::string& reason) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  if (!room) return;
  const StateEntry* own = room->find("m.room.member", user_id);
  json::object content{{"membership", "leave"}};
  if (!reason.empty()) content["reason"] = reason;
  json::object pdu{{"room_id", room_id},
                   {"sender", user_id},
                   {"type", "m.room.member"},
                   {"state_key", user_id},
                   {"content", std::move(content)},
                   {"prev_events", json::array{}},
                   {"auth_events", json::array{}},
                   {"depth", own ? own->pdu->at("depth").to_number<std::int64_t>() + 1 : 1},
                   {"origin", config_.server_name},
                   {"origin_server_ts", core::now_ms()}};
  rooms::finalize_local_event(pdu, *room->rules, config_.server_name);
  write_out_of_room(rooms_, write_path_, *room->rules, std::move(pdu), user_id);
}

}  // namespace myelin::homeserver
