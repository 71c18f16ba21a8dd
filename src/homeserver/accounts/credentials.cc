#include "homeserver/accounts/credentials.h"

#include <cctype>
#include <memory>

#include "core/crypto.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

const Uia::Flows kPasswordFlow{{"m.login.password"}};

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

}  // namespace

void Credentials::login(const json::object& body, std::string password, std::optional<std::string> device_id,
                        std::string device_name, Done done) {
  auto target = accounts_.login_target(body);
  if (!target) return done(std::unexpected(target.error()));
  auto matches = std::make_shared<bool>(false);
  scheduler_.run_blocking(
      [matches, password = std::move(password), hash = target->password_hash] {
        *matches = core::verify_password(password, hash);
      },
      [this, matches, target = *target, device_id = std::move(device_id), name = std::move(device_name),
       done = std::move(done)] {
        if (auto ok = Accounts::login_verdict(target, *matches); !ok) return done(std::unexpected(ok.error()));
        if (device_id && device_id_taken_(target.user_id, *device_id))
          return done(core::fail(Errc::kInvalidParam, "device_id is one of the user's cross-signing keys"));
        auto login = accounts_.create_session(target.user_id, device_id, name);
        done(session_json(login, config_.server_name));
      });
}

core::Result<std::string> Credentials::own_password(const Session& session, const json::object& auth) const {
  auto named = named_user(auth);
  if (!named) return std::unexpected(named.error());
  if (!named->empty()) {
    std::string user_id = *named;
    if (!user_id.starts_with("@")) {
      for (auto& c : user_id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      user_id = accounts_.user_id_for(user_id);
    }
    if (user_id != session.user_id) return core::fail(Errc::kForbidden, "You can only authenticate as yourself");
  }
  auto password = auth.if_contains("password");
  if (!password || !password->is_string()) return core::fail(Errc::kBadJson, "auth.password must be a string");
  return std::string(password->get_string());
}

void Credentials::confirm(const Session& session, std::string operation, const json::object& body, Verdict verdict) {
  if (auto same = uia_.same_operation(body, operation); !same) return verdict(same);
  const json::value* auth = body.if_contains("auth");
  const json::value* type = auth && auth->is_object() ? auth->get_object().if_contains("type") : nullptr;
  auto password = type && type->is_string() && type->get_string() == "m.login.password"
                      ? own_password(session, auth->get_object())
                      : core::Result<std::string>(std::string());
  // Another user's credentials are no failed attempt to retry but a refusal.
  if (!password && password.error().errcode == "M_FORBIDDEN") return verdict(std::unexpected(password.error()));
  if (!type || !password || password->empty()) {
    // Nothing to verify: the challenge, or the stage's failure, comes back at once.
    return verdict(uia_.check(
        body, kPasswordFlow,
        [&password](std::string_view, const json::object&) {
          return password ? core::fail(Errc::kBadJson, "auth.password must be a string")
                          : core::Status(std::unexpected(password.error()));
        },
        std::move(operation)));
  }
  auto target = accounts_.target_for(session.user_id);
  auto matches = std::make_shared<bool>(false);
  scheduler_.run_blocking(
      [matches, secret = *password, hash = target.password_hash] { *matches = core::verify_password(secret, hash); },
      [this, body, target, matches, operation = std::move(operation), verdict = std::move(verdict)]() mutable {
        verdict(uia_.check(
            body, kPasswordFlow,
            [&](std::string_view, const json::object&) { return Accounts::login_verdict(target, *matches); },
            std::move(operation)));
      });
}

void Credentials::change_password(const Session& session, std::string new_password, bool logout_devices,
                                  std::function<void()> done) {
  auto hash = std::make_shared<std::string>();
  scheduler_.run_blocking([hash, secret = std::move(new_password)] { *hash = core::hash_password(secret); },
                          [this, hash, session, logout_devices, done = std::move(done)] {
                            accounts_.change_password(session.user_id, *hash, logout_devices, session.device_id);
                            done();
                          });
}

}  // namespace myelin::homeserver
