#include "homeserver/federation/remote_memberships.h"

#include "core/clock.h"
#include "homeserver/federation/invites.h"
#include "homeserver/federation/remote_requests.h"
#include "http/http.h"
#include "rooms/event_format.h"

namespace myelin::homeserver {

void RemoteMemberships::invite(const rooms::RoomVersionRules& rules, json::object pdu, json::array invite_room_state,
                               std::function<void(core::Result<json::object>)> done) {
  const std::string event_id = rooms::event_id_of(pdu, rules);
  auto invitee = core::UserId::parse(string_field(pdu, "state_key"));
  if (!invitee) return done(core::fail(core::Errc::kInvalidParam, "Invalid user ID"));
  const std::string server(invitee->server());
  OutgoingRequest request;
  request.destination = server;
  request.method = "PUT";
  request.target = "/_matrix/federation/v2/invite/" + http::percent_encode(string_field(pdu, "room_id")) + "/" +
                   http::percent_encode(event_id);
  request.body =
      json::object{{"room_version", rules.id}, {"event", pdu}, {"invite_room_state", std::move(invite_room_state)}};
  transport_.send(std::move(request),
                  [this, rules = &rules, event_id, server, done = std::move(done)](IncomingResponse response) mutable {
                    if (response.status != 200) return done(std::unexpected(refusal_of(server, response)));
                    auto body = core::parse_json_object(response.body);
                    const json::value* event = body ? body->if_contains("event") : nullptr;
                    if (!event || !event->is_object() || rooms::event_id_of(event->get_object(), *rules) != event_id)
                      return done(std::unexpected(unreachable(server + " answered the invite with another event")));
                    json::object signed_pdu = event->get_object();
                    signed_pdu.erase("unsigned");
                    if (!content_hash_matches(signed_pdu))
                      return done(std::unexpected(unreachable(server + " answered the invite with a changed event")));
                    std::vector<KeyNeed> needs = signing_keys_needed(signed_pdu, *rules, server);
                    keys_.fetch(std::move(needs), [rules, server, signed_pdu = std::move(signed_pdu),
                                                   done = std::move(done)](KeyLookup lookup) mutable {
                      if (auto verified = verify_pdu_signatures(signed_pdu, *rules, lookup, server); !verified)
                        return done(std::unexpected(unreachable(server + ": " + verified.error().message)));
                      done(std::move(signed_pdu));
                    });
                  });
}

void RemoteMemberships::leave(const core::UserId& user_id, const core::RoomId& room_id, const std::string& server,
                              const std::string& reason, std::function<void(core::Status)> done) {
  OutgoingRequest request;
  request.destination = server;
  request.method = "GET";
  request.target = "/_matrix/federation/v1/make_leave/" + http::percent_encode(room_id.str()) + "/" +
                   http::percent_encode(user_id.str());
  transport_.send(std::move(request), [this, user = user_id.str(), room = room_id.str(), server, reason,
                                       done = std::move(done)](IncomingResponse response) mutable {
    on_make_leave(user, room, server, reason, response, std::move(done));
  });
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
  rooms::finalize_local_event(pdu, *room->rules, config_.server_name, key_);
  write_out_of_room(rooms_, write_path_, *room->rules, std::move(pdu), user_id);
}

}  // namespace myelin::homeserver
