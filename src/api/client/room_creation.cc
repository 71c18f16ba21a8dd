// POST /_matrix/client/v3/createRoom (client-server-api "Creation") and
// POST /_matrix/client/v3/rooms/{roomId}/upgrade ("Room Upgrades").
#include "api/client/threepid_invite.h"
#include "api/handlers.h"
#include "core/ids.h"

namespace myelin::api {

namespace {

constexpr std::size_t kMaxThirdPartyInvites = 20;

// createRoom's invite_3pid, once the room is made: each entry (threepid_invite.h) one after the
// other; the first failure is the answer (the room and the invites before it stay).
void invite_3pids(Call call, core::RoomId room_id, json::array invites, std::size_t next) {
  if (next == invites.size()) return call.reply(json::object{{"room_id", room_id.str()}});
  const json::object invite = invites[next].get_object();  // objects: post_create_room checked
  invite_3pid(call, room_id, invite, [call, room_id, invites = std::move(invites), next](core::Status invited) mutable {
    if (!invited) return call.fail(invited.error());
    invite_3pids(call, std::move(room_id), std::move(invites), next + 1);
  });
}

}  // namespace

void post_create_room(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  json::array invites;
  if (const json::value* value = body->if_contains("invite_3pid"); value && !value->is_null()) {
    if (!value->is_array() || value->get_array().size() > kMaxThirdPartyInvites)
      return call.fail(core::make_error(core::Errc::kBadJson, "invite_3pid must be an array of at most 20"));
    for (const json::value& invite : value->get_array())
      if (!invite.is_object())
        return call.fail(core::make_error(core::Errc::kBadJson, "invite_3pid must list objects"));
    invites = value->get_array();
  }
  auto room_id = call.hs.rooms.create_room(call.user().user_id, *body);
  if (!room_id) return call.fail(room_id.error());
  auto id = core::RoomId::parse(*room_id);
  invite_3pids(call, *id, std::move(invites), 0);
}

void post_upgrade_room(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto version = required_string(*body, "new_version");
  if (!version) return call.fail(version.error());
  std::vector<std::string> additional_creators;  // v1.16
  if (auto extra = body->if_contains("additional_creators"); extra && !extra->is_null()) {
    if (!extra->is_array())
      return call.fail(core::make_error(core::Errc::kBadJson, "additional_creators must be an array"));
    for (const auto& value : extra->get_array()) {
      if (!value.is_string() || !core::UserId::parse(value.get_string()))
        return call.fail(core::make_error(core::Errc::kInvalidParam, "additional_creators must list user IDs"));
      additional_creators.emplace_back(value.get_string());
    }
  }
  auto replacement = call.hs.rooms.upgrade(call.user().user_id, *room_id, *version, additional_creators);
  if (!replacement) return call.fail(replacement.error());
  call.hs.account_data.copy_room_tags(call.user().user_id, room_id->str(), *replacement);  // the others' on their join
  call.reply(json::object{{"replacement_room", *replacement}});
}

}  // namespace myelin::api
