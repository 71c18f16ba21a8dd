// POST /_matrix/client/v3/account/password   — client-server-api "Account registration and
//                                               management" (password management)
// POST /_matrix/client/v3/account/deactivate — client-server-api "Account registration and
//                                               management" (account deactivation)
#include <string>

#include "api/client/password_uia.h"
#include "api/handlers.h"

namespace myelin::api {

using core::Errc;

void post_password(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto new_password = optional_string(*body, "new_password");
  if (!new_password) return call.fail(new_password.error());
  auto logout_devices = optional_bool(*body, "logout_devices");
  if (!logout_devices) return call.fail(logout_devices.error());
  // The same bound as registration.
  if (*new_password && (*new_password)->size() > homeserver::kMaxPasswordBytes)
    return call.fail(core::make_error(Errc::kBadJson, "Password too long"));
  with_password_uia(call, *body, [new_password = *new_password, logout = logout_devices->value_or(true)](Call& call) {
    if (!new_password || new_password->empty())
      return call.fail(core::make_error(Errc::kMissingParam, "A new password is required"));
    call.hs.credentials.change_password(call.user(), *new_password, logout, [call] { call.reply(json::object{}); });
  });
}

void post_deactivate(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto id_server = optional_string(*body, "id_server");
  if (!id_server) return call.fail(id_server.error());
  if (auto erase = optional_bool(*body, "erase"); !erase) return call.fail(erase.error());
  with_password_uia(call, *body, [id_server = *id_server](Call& call) {
    call.hs.accounts.deactivate(call.user().user_id);
    // The identifiers bound through this server are unbound: "success" when each was (or
    // there were none, as the spec asks), "no-support" otherwise.
    call.hs.identity_servers.unbind_all(call.user().user_id, id_server, [call](std::string result) {
      call.reply(json::object{{"id_server_unbind_result", std::move(result)}});
    });
  });
}

}  // namespace myelin::api
