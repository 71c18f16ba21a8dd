#pragma once
// User-interactive authentication with the one flow [["m.login.password"]] for endpoints that
// re-confirm the logged-in user (password change, deactivation, device deletion). The stage
// accepts only the session's own user (auth.identifier m.id.user, or the legacy auth.user;
// absent means the session's user) and checks the password off the event loop. On success
// `then` runs on the loop; otherwise the 401 UIA response (or M_BAD_JSON for a malformed auth
// dict) is sent.
#include "api/call.h"

namespace myelin::api {

#include <functional>

void with_password_uia(Call& call, const json::object& body, std::function<void(Call&)> then);

}  // namespace myelin::api
