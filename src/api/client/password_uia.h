#pragma once
// User-interactive authentication with the one flow [["m.login.password"]] for endpoints that
// re-confirm the logged-in user (password change, deactivation, device deletion). The stage
// accepts only the session's own user (auth.identifier m.id.user, or the legacy auth.user;
// absent means the session's user) and checks the password. On failure the error is the
// 401 UIA response (or M_BAD_JSON for a malformed auth dict) for the caller to send.
#include "api/call.h"

namespace myelin::api {

core::Status require_password_uia(const Call& call, const json::object& body);

}  // namespace myelin::api
