// POST /_matrix/client/v3/register, GET /_matrix/client/v3/register/available,
// GET /_matrix/client/v1/register/m.login.registration_token/validity
// (client-server-api "Account registration"), and Synapse's shared-secret admin registration
// GET/POST /_synapse/admin/v1/register (nonce + HMAC-SHA1), which admin tools and bridges use.
// The rules are homeserver/accounts/registration.h.
#include "api/handlers.h"

namespace myelin::api {
namespace {

using core::Errc;

// The fields of a shared-secret registration request: M_MISSING_PARAM or M_BAD_JSON.
core::Result<homeserver::SharedSecretRequest> parse_shared_secret_request(const json::object& body) {
  auto nonce = required_string(body, "nonce");
  auto username = required_string(body, "username");
  auto password = required_string(body, "password");
  auto mac = required_string(body, "mac");
  auto admin = optional_bool(body, "admin");
  for (const auto* field : {&nonce, &username, &password, &mac})
    if (!*field) return std::unexpected(field->error());
  if (!admin) return std::unexpected(admin.error());
  return homeserver::SharedSecretRequest{*nonce, *username, *password, *mac, admin->value_or(false)};
}

}  // namespace

void post_register(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto kind = call.request.query_param("kind");
  call.hs.registration.register_account(*body, kind && *kind == "guest",
                                        [call](core::Result<json::object> result) { call.answer(result); });
}

void get_register_available(Call& call) {
  auto username = call.request.query_param("username");
  if (!username) return call.fail(core::make_error(Errc::kMissingParam, "Missing username"));
  if (auto ok = call.hs.accounts.check_username(*username); !ok) return call.fail(ok.error());
  call.reply(json::object{{"available", true}});
}

void get_registration_token_validity(Call& call) {
  auto token = call.request.query_param("token");
  if (!token) return call.fail(core::make_error(Errc::kMissingParam, "Missing token"));
  call.reply(json::object{{"valid", call.hs.registration.token_valid(*token)}});
}

void get_admin_register_nonce(Call& call) { call.answer(call.hs.registration.issue_nonce()); }

void post_admin_register(Call& call) {
  // Whether the endpoint exists is answered before the body is looked at.
  if (auto ok = call.hs.registration.check_shared_secret_enabled(); !ok) return call.fail(ok.error());
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto request = parse_shared_secret_request(*body);
  if (!request) return call.fail(request.error());
  call.answer(call.hs.registration.register_with_shared_secret(*request));
}

}  // namespace myelin::api
