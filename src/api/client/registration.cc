// POST /_matrix/client/v3/register, GET /_matrix/client/v3/register/available,
// GET /_matrix/client/v1/register/m.login.registration_token/validity
// (client-server-api "Account registration"), and Synapse's shared-secret admin registration
// GET/POST /_synapse/admin/v1/register (nonce + HMAC-SHA1), which admin tools and bridges use.

#include "core/clock.h"
#include "api/handlers.h"
#include "core/crypto.h"
#include "core/ids.h"

namespace myelin::api {
namespace {

using core::Errc;

homeserver::Uia::Flows registration_flows(const homeserver::AccountsOptions& config) {
  homeserver::Uia::Flows flows{{"m.login.registration_token"}};
  if (config.registration_open) flows.insert(flows.begin(), {"m.login.dummy"});
  return flows;
}

// Answers a successful registration: a session unless inhibit_login.
void finish_registration(Call& call, const std::string& user_id, const json::object& body) {
  auto inhibit = optional_bool(body, "inhibit_login");
  if (inhibit && inhibit->value_or(false)) return call.reply(json::object{{"user_id", user_id}});
  auto device_id = optional_string(body, "device_id");
  auto name = optional_string(body, "initial_device_display_name");
  auto login = call.hs.accounts.create_session(user_id, device_id ? *device_id : std::nullopt,
                                               name && *name ? **name : "");
  call.reply(json::object{{"user_id", login.user_id},
                          {"access_token", login.access_token},
                          {"device_id", login.device_id},
                          {"home_server", call.hs.options.accounts.server_name}});
}

}  // namespace

void post_register(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto kind = call.request.query_param("kind");
  if (kind && *kind == "guest") {
    if (!call.hs.options.accounts.guest_access) return call.fail(core::make_error(Errc::kForbidden, "Guest access is disabled"));
    // A guest gets a fresh account and device; only the device's name is taken from the body.
    json::object guest_body;
    if (auto name = body->if_contains("initial_device_display_name")) guest_body["initial_device_display_name"] = *name;
    return finish_registration(call, call.hs.accounts.register_guest(), guest_body);
  }
  auto& hs = call.hs;
  const std::string session = homeserver::Uia::session_of(*body);
  // A retry of a registration that already succeeded answers for the same user.
  if (auto registered = hs.uia.result(session)) return finish_registration(call, *registered, *body);
  // What the session's first request said and this one leaves out still counts.
  json::object params = *body;
  if (const json::object* first = hs.uia.first_request(session))
    for (const auto& field : *first)
      if (!params.contains(field.key())) params[field.key()] = field.value();

  auto username = optional_string(params, "username");
  auto password = optional_string(params, "password");
  if (!username) return call.fail(username.error());
  if (!password) return call.fail(password.error());
  if (*password && (*password)->size() > 512) return call.fail(core::make_error(Errc::kBadJson, "Password too long"));
  std::string localpart = username->value_or("");
  for (auto& c : localpart) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!localpart.empty())
    if (auto ok = hs.accounts.check_username(localpart); !ok) return call.fail(ok.error());

  auto uia = hs.uia.check(*body, registration_flows(hs.options.accounts),
                          [&hs](std::string_view type, const json::object& auth) -> core::Status {
                            if (type == "m.login.dummy") return {};
                            auto token = auth.if_contains("token");
                            if (!token || !token->is_string())
                              return core::fail(Errc::kMissingParam, "Missing registration token");
                            if (!hs.store.use_registration_token(std::string(token->get_string()),
                                                                 core::now_ms()))
                              return core::fail(Errc::kUnauthorized, "Invalid registration token");
                            return {};
                          });
  if (!uia) return call.fail(uia.error());
  if (!*password || (*password)->empty())
    return call.fail(core::make_error(Errc::kMissingParam, "A password is required"));
  if (localpart.empty()) {
    localpart = core::random_string(12);
    for (auto& c : localpart) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  // Hashing takes tens of milliseconds: off the event loop, then back to finish.
  auto hash = std::make_shared<std::string>();
  hs.scheduler.run_blocking([hash, password = **password] { *hash = core::hash_password(password); },
                            [call, hash, localpart, session, params]() mutable {
                              auto user_id = call.hs.accounts.register_user(localpart, std::move(*hash), false);
                              if (!user_id) return call.fail(user_id.error());
                              call.hs.uia.set_result(session, *user_id);
                              finish_registration(call, *user_id, params);
                            });
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
  auto stored = call.hs.store.registration_token(*token);
  bool valid = stored && (!stored->expiry_time || *stored->expiry_time > core::now_ms()) &&
               (!stored->uses_allowed || stored->completed + stored->pending < *stored->uses_allowed);
  call.reply(json::object{{"valid", valid}});
}

void get_admin_register_nonce(Call& call) {
  if (call.hs.options.accounts.registration_shared_secret.empty())
    return call.fail(core::make_error(Errc::kForbidden, "Shared secret registration is not enabled", 400));
  std::string nonce = call.hs.accounts.issue_nonce();
  if (nonce.empty()) return call.fail(core::make_error(Errc::kLimitExceeded, "Too many nonces"));
  call.reply(json::object{{"nonce", nonce}});
}

void post_admin_register(Call& call) {
  const std::string& secret = call.hs.options.accounts.registration_shared_secret;
  if (secret.empty())
    return call.fail(core::make_error(Errc::kForbidden, "Shared secret registration is not enabled", 400));
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto nonce = required_string(*body, "nonce");
  auto username = required_string(*body, "username");
  auto password = required_string(*body, "password");
  auto mac = required_string(*body, "mac");
  auto admin = optional_bool(*body, "admin");
  for (const auto* field : {&nonce, &username, &password, &mac})
    if (!*field) return call.fail(field->error());
  if (!admin) return call.fail(admin.error());
  if (!call.hs.accounts.consume_nonce(*nonce))
    return call.fail(core::make_error(Errc::kUnknown, "Unrecognised nonce"));
  std::string message = *nonce + '\0' + *username + '\0' + *password + '\0' +
                        (admin->value_or(false) ? "admin" : "notadmin");
  if (!core::constant_time_equal(core::hmac_sha1_hex(secret, message), *mac))
    return call.fail(core::make_error(Errc::kForbidden, "HMAC incorrect"));
  auto user_id = call.hs.accounts.register_user(*username, core::hash_password(*password), admin->value_or(false));
  if (!user_id) return call.fail(user_id.error());
  auto login = call.hs.accounts.create_session(*user_id, std::nullopt, "");
  call.reply(json::object{{"user_id", login.user_id},
                          {"access_token", login.access_token},
                          {"device_id", login.device_id},
                          {"home_server", call.hs.options.accounts.server_name}});
}

}  // namespace myelin::api
