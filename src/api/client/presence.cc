// GET/PUT /_matrix/client/v3/presence/{userId}/status (client-server-api "Presence").
// With presence disabled (the default) PUT is accepted and not recorded and GET answers
// "offline": the documented meaning of presence.enabled: false.
#include "core/clock.h"
#include "api/handlers.h"

namespace myelin::api {

using core::Errc;

void get_presence(Call& call) {
  const std::string& target = call.param(0);
  if (!homeserver::share_a_room(call.hs.store, call.user().user_id, target))
    return call.fail(core::make_error(Errc::kForbidden, "You do not share a room with this user"));
  const auto state = call.hs.presence.get(target);
  json::object body{{"presence", state.presence}};
  if (!state.status_msg.empty()) body["status_msg"] = state.status_msg;
  if (state.last_active_ts > 0) {
    body["last_active_ago"] = std::max<std::int64_t>(0, core::now_ms() - state.last_active_ts);
    body["currently_active"] = state.presence == "online";
  }
  call.reply(body);
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
