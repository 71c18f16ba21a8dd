// Room membership (client-server-api "Room membership"):
// POST /join/{roomIdOrAlias}, /rooms/{roomId}/join, /knock/{roomIdOrAlias},
// /rooms/{roomId}/{leave,forget,invite,kick,ban,unban}, GET /joined_rooms,
// GET /rooms/{roomId}/members, GET /rooms/{roomId}/joined_members.
#include "api/handlers.h"
#include "homeserver/timeline/client_format.h"
#include "homeserver/sync/sync.h"
#include "homeserver/timeline/visibility.h"

namespace myelin::api {
namespace {

using core::Errc;

// The optional "reason" of a membership request body.
core::Result<std::string> reason_of(const json::object& body) {
  auto reason = optional_string(body, "reason");
  if (!reason) return std::unexpected(reason.error());
  return reason->value_or("");
}

// invite, kick, ban, unban: {user_id, reason} acting on another user.
void change_other(Call& call, const std::string& membership, bool must_be_banned = false) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto target = required_string(*body, "user_id");
  if (!target) return call.fail(target.error());
  auto reason = reason_of(*body);
  if (!reason) return call.fail(reason.error());
  if (must_be_banned) {
    homeserver::RoomState* room = call.hs.timeline.room(call.param(0));
    if (room && room->membership(*target) != "ban")
      return call.fail(core::make_error(Errc::kForbidden, "User is not banned"));
  }
  auto done = call.hs.rooms.set_membership(call.user().user_id, call.param(0), *target, membership, *reason);
  if (!done) return call.fail(done.error());
  call.reply(json::object{});
}

}  // namespace

namespace {

// /join and /knock: act on a room ID or alias with an optional reason; answers {room_id}.
using EnterRoom = core::Result<std::string> (homeserver::RoomService::*)(const std::string&, const std::string&,
                                                                          const std::string&);
void enter_room(Call& call, EnterRoom action) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto reason = reason_of(*body);
  if (!reason) return call.fail(reason.error());
  auto room_id = call.hs.rooms.resolve_room(call.param(0));
  if (!room_id) return call.fail(room_id.error());
  auto entered = (call.hs.rooms.*action)(call.user().user_id, *room_id, *reason);
  if (!entered) return call.fail(entered.error());
  call.reply(json::object{{"room_id", *entered}});
}

}  // namespace

// Guests join only rooms whose m.room.guest_access is can_join (client-server-api "Guest Access").
void post_join(Call& call) {
  if (call.user().guest) {
    auto room_id = call.hs.rooms.resolve_room(call.param(0));
    if (!room_id) return call.fail(room_id.error());
    homeserver::RoomState* room = call.hs.timeline.room(*room_id);
    const json::object* access = room ? room->content("m.room.guest_access", "") : nullptr;
    if (!access || homeserver::string_field(*access, "guest_access") != "can_join")
      return call.fail(core::make_error(Errc::kGuestAccessForbidden, "Guests may not join this room"));
  }
  enter_room(call, &homeserver::RoomService::join);
}
void post_knock(Call& call) { enter_room(call, &homeserver::RoomService::knock); }

void post_leave(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto reason = reason_of(*body);
  if (!reason) return call.fail(reason.error());
  const std::string& user = call.user().user_id;
  homeserver::RoomState* room = call.hs.timeline.room(call.param(0));
  if (!room) return call.fail(core::make_error(Errc::kNotFound, "Unknown room"));
  const std::string membership = room->membership(user);
  if (membership == "leave" || membership == "ban" || membership.empty()) return call.reply(json::object{});
  auto left = call.hs.rooms.set_membership(user, call.param(0), user, "leave", *reason);
  if (!left) return call.fail(left.error());
  call.reply(json::object{});
}

void post_forget(Call& call) {
  if (auto forgotten = call.hs.rooms.forget(call.user().user_id, call.param(0)); !forgotten)
    return call.fail(forgotten.error());
  call.reply(json::object{});
}

void post_invite(Call& call) { change_other(call, "invite"); }
void post_kick(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  if (auto target = body->if_contains("user_id"); target && target->is_string()) {
    homeserver::RoomState* room = call.hs.timeline.room(call.param(0));
    const std::string membership = room ? room->membership(target->get_string()) : "";
    if (membership != "join" && membership != "invite" && membership != "knock")
      return call.fail(core::make_error(Errc::kForbidden, "The user is not in the room"));
  }
  change_other(call, "leave");
}
void post_ban(Call& call) { change_other(call, "ban"); }
void post_unban(Call& call) { change_other(call, "leave", true); }

void get_joined_rooms(Call& call) {
  json::array rooms;
  for (const auto& membership : call.hs.store.user_memberships(call.user().user_id))
    if (membership.membership == "join") rooms.emplace_back(membership.room_id);
  call.reply(json::object{{"joined_rooms", std::move(rooms)}});
}

void get_members(Call& call) {
  homeserver::RoomState* room = call.hs.timeline.room(call.param(0));
  const auto visible = homeserver::readable_events(call.hs.store, room, call.user().user_id);
  if (!visible) return call.fail(visible.error());
  // The members as of `at` (a sync or pagination token), never later than the caller may see.
  storage::StreamPos at = visible->last(call.hs.store.current_pos());
  if (auto token = call.request.query_param("at")) {
    auto pos = homeserver::parse_stream_token(*token);
    if (!pos) return call.fail(core::make_error(Errc::kInvalidParam, "Invalid at token"));
    at = std::min(at, *pos);
  }
  std::vector<std::string> ids;
  for (const auto& [key, event_id] : homeserver::state_at(call.hs.store, *room, at))
    if (key.first == "m.room.member") ids.push_back(event_id);
  auto membership_filter = call.request.query_param("membership");
  auto not_membership = call.request.query_param("not_membership");
  json::array chunk;
  for (const auto& event : call.hs.store.events(ids)) {
    json::object member = homeserver::client_event(call.hs.store, event, call.user().device_id, false);
    const std::string_view membership = homeserver::string_field(member["content"].as_object(), "membership");
    if ((membership_filter && membership != *membership_filter) || (not_membership && membership == *not_membership))
      continue;
    chunk.push_back(std::move(member));
  }
  call.reply(json::object{{"chunk", std::move(chunk)}});
}

void get_joined_members(Call& call) {
  homeserver::RoomState* room = call.hs.timeline.room(call.param(0));
  if (!room || room->membership(call.user().user_id) != "join")
    return call.fail(core::make_error(Errc::kForbidden, "You are not a member of this room"));
  json::object joined;
  for (const auto& user : room->joined) {
    json::object profile{{"display_name", nullptr}, {"avatar_url", nullptr}};
    if (const json::object* content = room->content("m.room.member", user)) {
      if (auto name = content->if_contains("displayname"); name && name->is_string()) profile["display_name"] = *name;
      if (auto avatar = content->if_contains("avatar_url"); avatar && avatar->is_string()) profile["avatar_url"] = *avatar;
    }
    joined[user] = std::move(profile);
  }
  call.reply(json::object{{"joined", std::move(joined)}});
}

}  // namespace myelin::api
