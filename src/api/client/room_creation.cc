// POST /_matrix/client/v3/createRoom (client-server-api "Creation") and
// POST /_matrix/client/v3/rooms/{roomId}/upgrade ("Room Upgrades").
#include "api/handlers.h"

namespace myelin::api {

void post_create_room(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto room_id = call.hs.rooms.create_room(call.user().user_id, *body);
  if (!room_id) return call.fail(room_id.error());
  call.reply(json::object{{"room_id", *room_id}});
}

void post_upgrade_room(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto version = required_string(*body, "new_version");
  if (!version) return call.fail(version.error());
  auto room_id = call.hs.rooms.upgrade(call.user().user_id, call.param(0), *version);
  if (!room_id) return call.fail(room_id.error());
  call.reply(json::object{{"replacement_room", *room_id}});
}

}  // namespace myelin::api
