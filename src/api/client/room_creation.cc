// POST /_matrix/client/v3/createRoom (client-server-api "Creation") and
// POST /_matrix/client/v3/rooms/{roomId}/upgrade ("Room Upgrades").
#include "api/handlers.h"
#include "core/ids.h"

namespace myelin::api {

void post_create_room(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
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
