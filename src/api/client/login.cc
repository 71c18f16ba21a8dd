// GET/POST /_matrix/client/v3/login, POST /logout, POST /logout/all, GET /account/whoami
// (client-server-api "Login", "Logout", "Current account information").
#include "api/handlers.h"
#include "core/ids.h"

namespace myelin::api {

using core::Errc;

void get_login(Call& call) {
  call.reply(json::object{{"flows", json::array{json::object{{"type", "m.login.password"}}}}});
}

void post_login(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto type = required_string(*body, "type");
  if (!type) return call.fail(type.error());
  if (*type != "m.login.password")
    return call.fail(core::make_error(Errc::kUnknown, "Unsupported login type " + *type));
  auto device_id = optional_string(*body, "device_id");
  auto name = optional_string(*body, "initial_device_display_name");
  if (!device_id) return call.fail(device_id.error());
  if (!name) return call.fail(name.error());
  auto password = required_string(*body, "password");
  if (!password) return call.fail(password.error());
  if (*device_id && !core::is_valid_opaque_id(**device_id))
    return call.fail(core::make_error(Errc::kInvalidParam, "Invalid device_id"));
  call.hs.credentials.login(*body, *password, *device_id, name->value_or(""), [call](core::Result<json::object> login) {
    if (!login) return call.fail(login.error());
    call.reply(*login);
  });
}

void post_logout(Call& call) {
  call.hs.accounts.logout(call.user());
  call.reply(json::object{});
}

void post_logout_all(Call& call) {
  call.hs.accounts.logout_all(call.user().user_id);
  call.reply(json::object{});
}

void get_whoami(Call& call) {
  call.reply(
      json::object{{"user_id", call.user().user_id.str()}, {"device_id", call.user().device_id}, {"is_guest", false}});
}

}  // namespace myelin::api
