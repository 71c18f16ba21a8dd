// User-interactive authentication, m.login.password stage — client-server-api
// "User-Interactive Authentication API" / "Password-based".
#include "api/client/password_uia.h"

#include "core/crypto.h"

#include <cctype>
#include <memory>
#include <string>

namespace myelin::api {
namespace {

using core::Errc;

// The user the auth dict names, or "" when it names none.
core::Result<std::string> named_user(const json::object& auth) {
  if (auto identifier = auth.if_contains("identifier")) {
    if (!identifier->is_object()) return core::fail(Errc::kBadJson, "auth.identifier must be an object");
    const auto& id = identifier->get_object();
    auto type = id.if_contains("type");
    if (!type || !type->is_string() || type->get_string() != "m.id.user")
      return core::fail(Errc::kUnrecognized, "Only m.id.user identifiers are supported");
    auto user = id.if_contains("user");
    if (!user || !user->is_string()) return core::fail(Errc::kBadJson, "auth.identifier.user must be a string");
    return std::string(user->get_string());
  }
  if (auto legacy = auth.if_contains("user")) {
    if (!legacy->is_string()) return core::fail(Errc::kBadJson, "auth.user must be a string");
    return std::string(legacy->get_string());
  }
  return std::string();
}

// The password of an m.login.password auth dict that names the session's own user.
core::Result<std::string> own_password(const Call& call, const json::object& auth) {
  const std::string& own = call.user().user_id;
  auto named = named_user(auth);
  if (!named) return std::unexpected(named.error());
  if (!named->empty()) {
    std::string user_id = *named;
    if (!user_id.starts_with("@")) {
      for (auto& c : user_id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      user_id = call.hs.accounts.user_id_for(user_id);
    }
    if (user_id != own) return core::fail(Errc::kForbidden, "You can only authenticate as yourself");
  }
  auto password = auth.if_contains("password");
  if (!password || !password->is_string()) return core::fail(Errc::kBadJson, "auth.password must be a string");
  return std::string(password->get_string());
}

const homeserver::Uia::Flows kPasswordFlow{{"m.login.password"}};

}  // namespace

void with_password_uia(Call& call, const json::object& body, std::function<void(Call&)> then) {
  // The operation may not change between the stages of one session.
  if (const json::object* first = call.hs.uia.first_request(homeserver::Uia::session_of(body))) {
    json::object operation = body;
    operation.erase("auth");
    if (operation != *first)
      return call.fail(core::make_error(Errc::kForbidden, "The request changed during user-interactive authentication"));
  }
  const json::value* auth = body.if_contains("auth");
  const json::value* type = auth && auth->is_object() ? auth->get_object().if_contains("type") : nullptr;
  auto password = type && type->is_string() && type->get_string() == "m.login.password"
                      ? own_password(call, auth->get_object())
                      : core::Result<std::string>(std::string());
  if (!type || !password || password->empty()) {
    // Nothing to verify: the challenge, or the stage's failure, comes back at once.
    auto verdict = call.hs.uia.check(body, kPasswordFlow, [&password](std::string_view, const json::object&) {
      return password ? core::fail(Errc::kBadJson, "auth.password must be a string")
                      : core::Status(std::unexpected(password.error()));
    });
    if (!verdict) return call.fail(verdict.error());
    return then(call);
  }
  auto target = call.hs.accounts.target_for(call.user().user_id);
  auto matches = std::make_shared<bool>(false);
  call.hs.scheduler.run_blocking(
      [matches, secret = *password, hash = target.password_hash] { *matches = core::verify_password(secret, hash); },
      [call, body, target, matches, then = std::move(then)]() mutable {
        auto verdict = call.hs.uia.check(body, kPasswordFlow, [&](std::string_view, const json::object&) {
          return homeserver::Accounts::login_verdict(target, *matches);
        });
        if (!verdict) return call.fail(verdict.error());
        then(call);
      });
}

}  // namespace myelin::api
