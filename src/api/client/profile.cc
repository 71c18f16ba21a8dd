// GET /_matrix/client/v3/profile/{userId}          — client-server-api "Profiles"
// GET /_matrix/client/v3/profile/{userId}/{keyName}
// PUT /_matrix/client/v3/profile/{userId}/{keyName}
// DELETE /_matrix/client/v3/profile/{userId}/{keyName}
// Only the two historical fields are stored: displayname and avatar_url (the m.profile_fields
// capability lists them as the only ones clients may change).
#include <set>
#include <string>
#include <string_view>

#include "api/handlers.h"
#include "core/ids.h"

namespace myelin::api {
namespace {

using core::Errc;

constexpr std::size_t kMaxDisplaynameBytes = 256;
constexpr std::size_t kMaxAvatarUrlBytes = 1000;

// The spec's keyName grammar: avatar_url, displayname, m.tz or a namespaced identifier
// ([a-z][a-z0-9_]* segments joined by dots, at least two).
bool valid_key_name(std::string_view key) {
  if (key == "avatar_url" || key == "displayname" || key == "m.tz") return true;
  std::size_t segments = 0;
  std::size_t pos = 0;
  while (pos <= key.size()) {
    std::size_t end = key.find('.', pos);
    if (end == std::string_view::npos) end = key.size();
    std::string_view segment = key.substr(pos, end - pos);
    if (segment.empty() || segment[0] < 'a' || segment[0] > 'z') return false;
    for (char c : segment)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    ++segments;
    pos = end + 1;
  }
  return segments >= 2;
}

// PRIVACY: with profile_lookup_requires_shared_room, a user may only read the profile of
// someone they share a room with (both joined or invited). Checked before existence, so the
// answer does not reveal whether the user exists.
core::Status may_look_up(const Call& call, const std::string& target) {
  if (!call.hs.options.membership.profile_lookup_requires_shared_room) return {};
  // Anonymous callers share no room with anyone.
  if (!call.session) return core::fail(Errc::kMissingToken, "Log in to look up profiles");
  const auto& session = call.user();
  if (session.user_id == target || session.admin)
    return {};
  if (homeserver::share_a_room(call.hs.store, session.user_id, target)) return {};
  return core::fail(Errc::kForbidden, "You do not share a room with this user");
}

// The target's profile, after the privacy check; M_NOT_FOUND when there is no such user.
core::Result<storage::UserRecord> lookup(const Call& call) {
  const std::string& target = call.param(0);
  if (!core::UserId::parse(target)) return core::fail(Errc::kInvalidParam, "Invalid user ID");
  if (auto ok = may_look_up(call, target); !ok) return std::unexpected(ok.error());
  auto user = call.hs.store.user(target);
  if (!user || user->deactivated) return core::fail(Errc::kNotFound, "Profile not found");
  return std::move(*user);
}

}  // namespace

void get_profile(Call& call) {
  auto user = lookup(call);
  if (!user) return call.fail(user.error());
  json::object profile;
  if (!user->displayname.empty()) profile["displayname"] = user->displayname;
  if (!user->avatar_url.empty()) profile["avatar_url"] = user->avatar_url;
  call.reply(profile);
}

void get_profile_field(Call& call) {
  auto user = lookup(call);
  if (!user) return call.fail(user.error());
  const std::string& key = call.param(1);
  const std::string* value = key == "displayname" ? &user->displayname
                             : key == "avatar_url" ? &user->avatar_url
                                                   : nullptr;
  if (!value || value->empty()) return call.fail(core::make_error(Errc::kNotFound, "Profile field not set"));
  call.reply(json::object{{key, *value}});
}

namespace {

// The caller may change the path's profile field: their own profile, and one of the two fields;
// a guest only its displayname (client-server-api "Guest Access").
core::Status may_change(const Call& call) {
  const std::string& key = call.param(1);
  if (call.param(0) != call.user().user_id) return core::fail(Errc::kForbidden, "You can only change your own profile");
  if (!valid_key_name(key)) return core::fail(Errc::kInvalidParam, "Invalid profile key");
  if (call.user().guest && key != "displayname")
    return core::fail(Errc::kGuestAccessForbidden, "Guests may only change their display name");
  if (key != "displayname" && key != "avatar_url")
    return core::fail(Errc::kForbidden, "Only displayname and avatar_url can be set");
  return {};
}

// Stores the caller's displayname or avatar_url ("" clears it) and updates their member events.
void store_field(Call& call, const std::string& key, const std::string& text) {
  const std::string& user_id = call.user().user_id;
  auto user = call.hs.store.user(user_id);
  if (!user) return call.fail(core::make_error(Errc::kNotFound, "Unknown user"));
  if (key == "displayname") {
    if (text.size() > kMaxDisplaynameBytes)
      return call.fail(core::make_error(Errc::kInvalidParam, "displayname is too long"));
    if (text == user->displayname) return call.reply(json::object{});
    call.hs.store.set_displayname(user_id, text);
  } else {
    if (text.size() > kMaxAvatarUrlBytes) return call.fail(core::make_error(Errc::kInvalidParam, "avatar_url is too long"));
    const std::size_t slash = text.find('/', 6);  // mxc://<server>/<media-id>
    if (!text.empty() && (!text.starts_with("mxc://") || slash == std::string::npos || slash == 6 ||
                          slash + 1 == text.size()))
      return call.fail(core::make_error(Errc::kInvalidParam, "avatar_url must be an mxc:// URI"));
    if (text == user->avatar_url) return call.reply(json::object{});
    call.hs.store.set_avatar_url(user_id, text);
  }
  call.hs.rooms.propagate_profile(user_id);
  call.reply(json::object{});
}

}  // namespace

void put_profile_field(Call& call) {
  if (auto ok = may_change(call); !ok) return call.fail(ok.error());
  const std::string& key = call.param(1);
  auto body = call.body();
  if (!body) return call.fail(body.error());
  const json::value* value = body->if_contains(key);
  if (!value) return call.fail(core::make_error(Errc::kMissingParam, "Missing " + key));
  if (!value->is_string() && !value->is_null())
    return call.fail(core::make_error(Errc::kBadJson, key + " must be a string"));
  // null (and "") clear the field.
  store_field(call, key, value->is_string() ? std::string(value->get_string()) : std::string());
}

// v1.16: removing a field is clearing it.
void delete_profile_field(Call& call) {
  if (auto ok = may_change(call); !ok) return call.fail(ok.error());
  store_field(call, call.param(1), "");
}

}  // namespace myelin::api
