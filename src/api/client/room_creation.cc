// POST /_matrix/client/v3/createRoom (client-server-api "Creation") and
// POST /_matrix/client/v3/rooms/{roomId}/upgrade ("Room Upgrades").
#include "api/client/threepid_invite.h"
#include "api/handlers.h"
#include "core/ids.h"

namespace myelin::api {

namespace {

constexpr std::size_t kMaxThirdPartyInvites = 20;

// createRoom's invite_3pid: each entry's Matrix user (threepid_invite.h) is added to `invite`,
// one lookup after the other, before the room is made.
void create_with_3pid_invites(Call call, json::object body, std::size_t next) {
  const json::array& invites = body.at("invite_3pid").as_array();
  if (next == invites.size()) {
    body.erase("invite_3pid");
    auto room_id = call.hs.rooms.create_room(call.user().user_id, body);
    if (!room_id) return call.fail(room_id.error());
    return call.reply(json::object{{"room_id", *room_id}});
  }
  if (!invites[next].is_object())
    return call.fail(core::make_error(core::Errc::kBadJson, "invite_3pid must list objects"));
  const json::object invite = invites[next].get_object();
  invitee_of_3pid(call, invite, [call, body = std::move(body), next](core::Result<std::string> invitee) mutable {
    if (!invitee) return call.fail(invitee.error());
    json::value& invite_list = body["invite"];
    if (!invite_list.is_array()) invite_list = json::array{};
    invite_list.as_array().emplace_back(*invitee);
    create_with_3pid_invites(call, std::move(body), next + 1);
  });
}

}  // namespace

void post_create_room(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  if (const json::value* invites = body->if_contains("invite_3pid"); invites && !invites->is_null()) {
    if (!invites->is_array() || invites->get_array().size() > kMaxThirdPartyInvites)
      return call.fail(core::make_error(core::Errc::kBadJson, "invite_3pid must be an array of at most 20"));
    if (!invites->get_array().empty()) return create_with_3pid_invites(call, std::move(*body), 0);
  }
  auto room_id = call.hs.rooms.create_room(call.user().user_id, *body);
  if (!room_id) return call.fail(room_id.error());
  call.reply(json::object{{"room_id", *room_id}});
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
  call.reply(json::object{{"replacement_room", *replacement}});
}

}  // namespace myelin::api
