// Room membership (client-server-api "Room membership"):
// POST /join/{roomIdOrAlias}, /rooms/{roomId}/join, /knock/{roomIdOrAlias},
// /rooms/{roomId}/{leave,forget,invite,kick,ban,unban}, GET /joined_rooms,
// GET /rooms/{roomId}/members, GET /rooms/{roomId}/joined_members.
#include "api/client/reader.h"
#include "api/client/threepid_invite.h"
#include "api/handlers.h"
#include "homeserver/sync/sync.h"

namespace myelin::api {
namespace {

using core::Errc;

// The optional "reason" of a membership request body.
core::Result<std::string> reason_of(const json::object& body) {
  auto reason = optional_string(body, "reason");
  if (!reason) return std::unexpected(reason.error());
  return reason->value_or("");
}

// The reason of a body that has only that to say (join, knock, leave).
core::Result<std::string> body_reason(const Call& call) {
  auto body = call.body();
  if (!body) return std::unexpected(body.error());
  return reason_of(*body);
}

// The servers to join or knock through: `via`, and `server_name` (deprecated since v1.12)
// after it.
std::vector<std::string> servers_to_try(const Call& call) {
  std::vector<std::string> via = call.request.query_params("via");
  for (auto& server : call.request.query_params("server_name")) via.push_back(std::move(server));
  return via;
}

// invite, kick, ban, unban: {user_id, reason} acting on another user.
// The user_id is passed as sent: the room service answers a malformed one (after the checks
// a kick or an unban makes first).
struct OtherUser {
  core::RoomId room_id;
  std::string target, reason;
};
core::Result<OtherUser> other_user(const Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return std::unexpected(room_id.error());
  auto body = call.body();
  if (!body) return std::unexpected(body.error());
  auto target = required_string(*body, "user_id");
  if (!target) return std::unexpected(target.error());
  auto reason = reason_of(*body);
  if (!reason) return std::unexpected(reason.error());
  return OtherUser{std::move(*room_id), std::move(*target), std::move(*reason)};
}

using ChangeOther = core::Result<std::string> (homeserver::RoomService::*)(const core::UserId&, const core::RoomId&,
                                                                           const std::string&, const std::string&);
void change_other(Call& call, ChangeOther change) {
  auto request = other_user(call);
  if (!request) return call.fail(request.error());
  auto done = (call.hs.rooms.*change)(call.user().user_id, request->room_id, request->target, request->reason);
  if (!done) return call.fail(done.error());
  call.reply(json::object{});
}

// Joining the replacement of an upgraded room: the user's tags of the old room come along
// (client-server-api "Room Upgrades").
void carry_tags_from_predecessor(const Call& call, const std::string& room_id) {
  auto id = core::RoomId::parse(room_id);
  if (!id) return;
  auto create = call.hs.room_reader.state_event(reader(call), *id, "m.room.create", "");
  if (!create) return;
  const json::value* content = create->if_contains("content");
  const json::value* predecessor =
      content && content->is_object() ? content->get_object().if_contains("predecessor") : nullptr;
  const json::value* old =
      predecessor && predecessor->is_object() ? predecessor->get_object().if_contains("room_id") : nullptr;
  if (old && old->is_string())
    call.hs.account_data.copy_room_tags(call.user().user_id, std::string(old->get_string()), room_id);
}

}  // namespace

void post_join(Call& call) {
  auto reason = body_reason(call);
  if (!reason) return call.fail(reason.error());
  call.hs.rooms.join_room(call.user().user_id, call.user().guest, call.param(0), servers_to_try(call), *reason,
                          [call](const core::Result<std::string>& room_id) {
                            if (!room_id) return call.fail(room_id.error());
                            carry_tags_from_predecessor(call, *room_id);
                            call.reply(json::object{{"room_id", *room_id}});
                          });
}

void post_knock(Call& call) {
  auto reason = body_reason(call);
  if (!reason) return call.fail(reason.error());
  call.hs.rooms.knock_room(
      call.user().user_id, call.param(0), servers_to_try(call), *reason,
      [respond = call.respond](const core::Result<std::string>& room_id) {
        respond(room_id ? json_response(json::object{{"room_id", *room_id}}) : error_response(room_id.error()));
      });
}

void post_leave(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto reason = body_reason(call);
  if (!reason) return call.fail(reason.error());
  call.hs.rooms.leave_room(call.user().user_id, *room_id, *reason, [respond = call.respond](const core::Status& left) {
    respond(left ? json_response(json::object{}) : error_response(left.error()));
  });
}

void post_forget(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  call.answer(call.hs.rooms.forget(call.user().user_id, *room_id));
}

void post_invite(Call& call) {
  if (auto body = call.body(); body && !body->contains("user_id") && body->contains("medium")) {
    auto room_id = call.room_id_param(0);
    if (!room_id) return call.fail(room_id.error());
    return invite_3pid(call, *room_id, *body, [call](core::Status invited) {
      if (!invited) return call.fail(invited.error());
      call.reply(json::object{});
    });
  }
  auto request = other_user(call);
  if (!request) return call.fail(request.error());
  call.hs.rooms.invite_any(call.user().user_id, request->room_id, request->target, request->reason,
                           [respond = call.respond](const core::Result<std::string>& invited) {
                             respond(invited ? json_response(json::object{}) : error_response(invited.error()));
                           });
}
void post_kick(Call& call) { change_other(call, &homeserver::RoomService::kick); }
void post_ban(Call& call) { change_other(call, &homeserver::RoomService::ban); }
void post_unban(Call& call) { change_other(call, &homeserver::RoomService::unban); }

void get_joined_rooms(Call& call) {
  json::array rooms;
  for (const auto& room_id : call.hs.room_reader.joined_rooms(call.user().user_id)) rooms.emplace_back(room_id);
  call.reply(json::object{{"joined_rooms", std::move(rooms)}});
}

void get_members(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  homeserver::MembersQuery query{std::nullopt, call.request.query_param("membership"),
                                 call.request.query_param("not_membership")};
  if (auto token = call.request.query_param("at")) {
    query.at = homeserver::parse_stream_token(*token);
    if (!query.at) return call.fail(core::make_error(Errc::kInvalidParam, "Invalid at token"));
  }
  auto members = call.hs.room_reader.members(reader(call), *room_id, query);
  if (!members) return call.fail(members.error());
  call.reply(json::object{{"chunk", std::move(*members)}});
}

void get_joined_members(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto joined = call.hs.room_reader.joined_members(call.user().user_id, *room_id);
  if (!joined) return call.fail(joined.error());
  call.reply(json::object{{"joined", std::move(*joined)}});
}

}  // namespace myelin::api
