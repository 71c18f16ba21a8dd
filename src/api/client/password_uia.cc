// User-interactive authentication, m.login.password stage — client-server-api
// "User-Interactive Authentication API" / "Password-based".
#include "api/client/password_uia.h"

#include <cctype>
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

core::Status check_password_stage(const Call& call, const json::object& auth) {
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
  return call.hs.accounts.check_password(own, password->get_string());
}

}  // namespace

core::Status require_password_uia(const Call& call, const json::object& body) {
  return call.hs.uia.check(body, {{"m.login.password"}},
                           [&call](std::string_view, const json::object& auth) {
                             return check_password_stage(call, auth);
                           });
}

}  // namespace myelin::api
