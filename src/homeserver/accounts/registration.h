#pragma once
// Who may create an account, and how (client-server-api "Account registration"): with a
// registration token (m.login.registration_token, `myelin registration-token`), or with no
// proof at all when registration is open (m.login.dummy); guests when guest access is on;
// and Synapse's shared-secret admin registration (/_synapse/admin/v1/register: a single-use
// nonce and an HMAC-SHA1 of the request under the configured secret), which admin tools and
// bridges use. New passwords are hashed off the event loop (Scheduler::run_blocking), except the
// shared-secret one, an administrator's tool.
#include <functional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/accounts/accounts.h"
#include "homeserver/accounts/options.h"
#include "homeserver/accounts/uia.h"
#include "http/http.h"
#include "storage/account_store.h"

namespace myelin::homeserver {

// The fields of a shared-secret registration request.
struct SharedSecretRequest {
  std::string nonce, username, password, mac;
  bool admin = false;
};

class Registration {
 public:
  using Done = std::function<void(core::Result<json::object>)>;
  Registration(const AccountsOptions& config, storage::AccountStore& store, Accounts& accounts, Uia& uia,
               http::Scheduler& scheduler)
      : config_(config), store_(store), accounts_(accounts), uia_(uia), scheduler_(scheduler) {}

  // POST /register (`guest`: ?kind=guest) with its parsed body: {user_id} with
  // inhibit_login, else also access_token, device_id and home_server. A registration goes
  // through user-interactive auth; the parameters of the session's first request count for
  // later ones, and a retry of a completed session answers for the same user. M_FORBIDDEN for
  // guests when guest access is off. With guest_access_token (a guest's), the guest's own
  // account becomes a full one: username must be its localpart (M_FORBIDDEN otherwise).
  void register_account(const json::object& body, bool guest, Done done);
  // GET /register/m.login.registration_token/validity: whether `token` can still be used.
  bool token_valid(const std::string& token);

  // M_FORBIDDEN (400) unless a shared secret is configured.
  core::Status check_shared_secret_enabled() const;
  // GET /_synapse/admin/v1/register: {nonce}; M_LIMIT_EXCEEDED when too many are outstanding
  // (and check_shared_secret_enabled's error).
  core::Result<json::object> issue_nonce();
  // POST /_synapse/admin/v1/register: M_UNKNOWN for an unknown nonce, M_FORBIDDEN for a wrong
  // HMAC (and check_shared_secret_enabled's error); the new account's session.
  core::Result<json::object> register_with_shared_secret(const SharedSecretRequest& request);

 private:
  Uia::Flows flows() const;
  // The m.login.registration_token (or m.login.dummy) stage: uses the token once.
  core::Status check_stage(std::string_view type, const json::object& auth);
  // Hashes the password off the loop, creates the account and answers as finish() does.
  // `upgraded`: the guest made a full account instead of a new one.
  void create(std::string localpart, std::string password, std::string session, json::object params,
              std::optional<std::string> upgraded, Done done);
  // The answer to a successful registration: a session unless inhibit_login.
  json::object finish(const std::string& user_id, const json::object& body);

  const AccountsOptions& config_;
  storage::AccountStore& store_;
  Accounts& accounts_;
  Uia& uia_;
  http::Scheduler& scheduler_;
};

}  // namespace myelin::homeserver
