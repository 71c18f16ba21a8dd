#pragma once
// User-interactive authentication with the one flow [["m.login.password"]] for endpoints that
// re-confirm the logged-in user (password change, deactivation, device deletion, replacing
// cross-signing keys): homeserver::Credentials::confirm. On success `then` runs on the loop;
// otherwise the 401 UIA response (or M_BAD_JSON for a malformed auth dict) is sent.
#include <functional>

#include "api/call.h"

namespace myelin::api {

void with_password_uia(Call& call, const json::object& body, std::function<void(Call&)> then);

}  // namespace myelin::api
