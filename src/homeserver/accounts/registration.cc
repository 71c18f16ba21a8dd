#include "homeserver/accounts/registration.h"

#include <cctype>
#include <memory>
#include <optional>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/ids.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

// The string `key` of the request: nullopt when absent or null, M_BAD_JSON when not a string.
core::Result<std::optional<std::string>> string_param(const json::object& object, std::string_view key) {
  auto value = object.if_contains(key);
  if (!value || value->is_null()) return std::optional<std::string>();
  if (!value->is_string()) return core::fail(Errc::kBadJson, std::string(key) + " must be a string");
  return std::optional<std::string>(std::string(value->get_string()));
}

void lower_case(std::string& text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

}  // namespace

Uia::Flows Registration::flows() const {
  Uia::Flows flows{{"m.login.registration_token"}};
  if (config_.registration_open) flows.insert(flows.begin(), {"m.login.dummy"});
  return flows;
}

core::Status Registration::check_stage(std::string_view type, const json::object& auth) {
  if (type == "m.login.dummy") return {};
  auto token = auth.if_contains("token");
  if (!token || !token->is_string()) return core::fail(Errc::kMissingParam, "Missing registration token");
  if (!store_.use_registration_token(std::string(token->get_string()), core::now_ms()))
    return core::fail(Errc::kUnauthorized, "Invalid registration token");
  return {};
}

json::object Registration::finish(const std::string& user_id, const json::object& body) {
  // Mistyped optional fields count as absent here: the request was already accepted.
  auto inhibit = body.if_contains("inhibit_login");
  if (inhibit && inhibit->is_bool() && inhibit->get_bool()) return json::object{{"user_id", user_id}};
  auto device_id = string_param(body, "device_id");
  auto name = string_param(body, "initial_device_display_name");
  return session_json(
      accounts_.create_session(user_id, device_id ? *device_id : std::nullopt, name && *name ? **name : ""),
      config_.server_name);
}

void Registration::register_account(const json::object& body, bool guest, Done done) {
  if (guest) {
    if (!config_.guest_access) return done(core::fail(Errc::kForbidden, "Guest access is disabled"));
    // A guest gets a fresh account and device; only the device's name is taken from the body.
    json::object guest_body;
    if (auto name = body.if_contains("initial_device_display_name")) guest_body["initial_device_display_name"] = *name;
    return done(finish(accounts_.register_guest(), guest_body));
  }
  const std::string session = Uia::session_of(body);
  if (auto registered = uia_.result(session)) return done(finish(*registered, body));
  json::object params = body;
  if (const json::object* first = uia_.first_request(session))
    for (const auto& field : *first)
      if (!params.contains(field.key())) params[field.key()] = field.value();

  auto username = string_param(params, "username");
  auto password = string_param(params, "password");
  if (!username) return done(std::unexpected(username.error()));
  if (!password) return done(std::unexpected(password.error()));
  if (*password && (*password)->size() > kMaxPasswordBytes)
    return done(core::fail(Errc::kBadJson, "Password too long"));
  std::string localpart = username->value_or("");
  lower_case(localpart);
  auto guest_token = string_param(params, "guest_access_token");
  if (!guest_token) return done(std::unexpected(guest_token.error()));
  std::optional<std::string> upgraded;  // a guest's own account, made a full one
  if (*guest_token) {
    auto guest = accounts_.guest_of(**guest_token);
    if (!guest) return done(std::unexpected(guest.error()));
    if (accounts_.user_id_for(localpart) != *guest)
      return done(core::fail(Errc::kForbidden, "username must be the guest's own localpart"));
    upgraded = std::move(*guest);
  } else if (!localpart.empty()) {
    if (auto ok = accounts_.check_username(localpart); !ok) return done(std::unexpected(ok.error()));
  }
  auto uia = uia_.check(body, flows(),
                        [this](std::string_view type, const json::object& auth) { return check_stage(type, auth); });
  if (!uia) return done(std::unexpected(uia.error()));
  if (!*password || (*password)->empty()) return done(core::fail(Errc::kMissingParam, "A password is required"));
  if (localpart.empty()) {
    localpart = core::random_string(12);
    lower_case(localpart);
  }
  create(std::move(localpart), std::move(**password), session, std::move(params), std::move(upgraded), std::move(done));
}

void Registration::create(std::string localpart, std::string password, std::string session, json::object params,
                          std::optional<std::string> upgraded, Done done) {
  auto hash = std::make_shared<std::string>();
  scheduler_.run_blocking([hash, password = std::move(password)] { *hash = core::hash_password(password); },
                          [this, hash, localpart = std::move(localpart), session = std::move(session),
                           params = std::move(params), upgraded = std::move(upgraded), done = std::move(done)] {
                            auto user_id = upgraded ? accounts_.upgrade_guest(*upgraded, std::move(*hash))
                                                    : accounts_.register_user(localpart, std::move(*hash), false);
                            if (!user_id) return done(std::unexpected(user_id.error()));
                            uia_.set_result(session, *user_id);
                            done(finish(*user_id, params));
                          });
}

bool Registration::token_valid(const std::string& token) {
  auto stored = store_.registration_token(token);
  return stored && (!stored->expiry_time || *stored->expiry_time > core::now_ms()) &&
         (!stored->uses_allowed || stored->completed + stored->pending < *stored->uses_allowed);
}

core::Status Registration::check_shared_secret_enabled() const {
  if (config_.registration_shared_secret.empty())
    return std::unexpected(core::make_error(Errc::kForbidden, "Shared secret registration is not enabled", 400));
  return {};
}

core::Result<json::object> Registration::issue_nonce() {
  if (auto ok = check_shared_secret_enabled(); !ok) return std::unexpected(ok.error());
  std::string nonce = accounts_.issue_nonce();
  if (nonce.empty()) return core::fail(Errc::kLimitExceeded, "Too many nonces");
  return json::object{{"nonce", nonce}};
}

core::Result<json::object> Registration::register_with_shared_secret(const SharedSecretRequest& request) {
  if (auto ok = check_shared_secret_enabled(); !ok) return std::unexpected(ok.error());
  if (!accounts_.consume_nonce(request.nonce)) return core::fail(Errc::kUnknown, "Unrecognised nonce");
  const std::string message =
      request.nonce + '\0' + request.username + '\0' + request.password + '\0' + (request.admin ? "admin" : "notadmin");
  if (!core::constant_time_equal(core::hmac_sha1_hex(config_.registration_shared_secret, message), request.mac))
    return core::fail(Errc::kForbidden, "HMAC incorrect");
  auto user_id = accounts_.register_user(request.username, core::hash_password(request.password), request.admin);
  if (!user_id) return std::unexpected(user_id.error());
  return session_json(accounts_.create_session(*user_id, std::nullopt, ""), config_.server_name);
}

}  // namespace myelin::homeserver
