// GET/PUT /_matrix/client/v3/presence/{userId}/status (client-server-api "Presence").
// With presence disabled (the default) PUT is accepted and not recorded and GET answers
// "offline": the documented meaning of presence.enabled: false.
#include "api/handlers.h"

namespace myelin::api {

using core::Errc;

void get_presence(Call& call) {
  auto user_id = call.user_id_param(0);
  if (!user_id) return call.fail(user_id.error());
  auto status = call.hs.presence.status(call.user().user_id, *user_id);
  if (!status) return call.fail(status.error());
  call.reply(*status);
}

void put_presence(Call& call) {
  if (call.param(0) != call.user().user_id)
    return call.fail(core::make_error(Errc::kForbidden, "You can only set your own presence"));
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto presence = required_string(*body, "presence");
  auto status_msg = optional_string(*body, "status_msg");
  if (!presence) return call.fail(presence.error());
  if (!status_msg) return call.fail(status_msg.error());
  if (*presence != "online" && *presence != "offline" && *presence != "unavailable")
    return call.fail(core::make_error(Errc::kInvalidParam, "presence must be online, offline or unavailable"));
  call.hs.presence.set(call.user().user_id, *presence, *status_msg);
  call.reply(json::object{});
}

}  // namespace myelin::api
