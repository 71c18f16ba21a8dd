#pragma once
// Passwords of existing accounts: password login (client-server-api "Login",
// m.login.password), the m.login.password stage of user-interactive authentication for the
// endpoints that re-confirm the logged-in user (password change, deactivation, device
// deletion, replacing cross-signing keys) and the password change itself. argon2id hashing and
// verification take tens of milliseconds, so they run through Scheduler::run_blocking and the
// callbacks are called on the event loop.
#include <functional>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/accounts/accounts.h"
#include "homeserver/accounts/options.h"
#include "homeserver/accounts/uia.h"
#include "http/http.h"

namespace myelin::homeserver {

class Credentials {
 public:
  using Done = std::function<void(core::Result<json::object>)>;
  using Verdict = std::function<void(core::Status)>;
  // Whether a device ID is taken by something else of the user's: device IDs and
  // cross-signing key IDs share one namespace (keys/query signatures; Keys::is_cross_signing_key).
  using DeviceIdTaken = std::function<bool(const std::string& user_id, const std::string& device_id)>;
  Credentials(const AccountsOptions& config, Accounts& accounts, Uia& uia, http::Scheduler& scheduler,
              DeviceIdTaken device_id_taken)
      : config_(config),
        accounts_(accounts),
        uia_(uia),
        scheduler_(scheduler),
        device_id_taken_(std::move(device_id_taken)) {}

  // POST /login with m.login.password, once the request was parsed (`body` for the
  // identifier): {user_id, access_token, device_id, home_server}, or M_FORBIDDEN alike for a
  // wrong password, an unknown and a deactivated user; M_INVALID_PARAM when `device_id` is one
  // of the user's cross-signing keys.
  void login(const json::object& body, std::string password, std::optional<std::string> device_id,
             std::string device_name, Done done);

  // User-interactive authentication with the one flow [["m.login.password"]]. The stage
  // accepts only the session's own user (auth.identifier m.id.user, or the legacy auth.user;
  // absent means the session's user; another user is M_FORBIDDEN); the operation (`operation`,
  // method and path, and the body without "auth") may not change between the stages of one
  // session (M_FORBIDDEN). `verdict` gets success, the 401 UIA response, M_FORBIDDEN, or
  // M_BAD_JSON for a malformed auth dict.
  void confirm(const Session& session, std::string operation, const json::object& body, Verdict verdict);

  // POST /account/password: sets `new_password` (not empty), logging out the user's other
  // devices when `logout_devices` (this request's access token stays valid: the spec's SHOULD
  // NOT revoke it), then calls `done`.
  void change_password(const Session& session, std::string new_password, bool logout_devices,
                       std::function<void()> done);

 private:
  // The password of an m.login.password auth dict that names the session's own user.
  core::Result<std::string> own_password(const Session& session, const json::object& auth) const;

  const AccountsOptions& config_;
  Accounts& accounts_;
  Uia& uia_;
  http::Scheduler& scheduler_;
  DeviceIdTaken device_id_taken_;
};

}  // namespace myelin::homeserver
