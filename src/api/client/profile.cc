// GET /_matrix/client/v3/profile/{userId}          — client-server-api "Profiles"
// GET /_matrix/client/v3/profile/{userId}/{keyName}
// PUT /_matrix/client/v3/profile/{userId}/{keyName}
// DELETE /_matrix/client/v3/profile/{userId}/{keyName}
// The stored fields, the privacy rule and the bounds are homeserver::Profiles'.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/handlers.h"
#include "core/ids.h"

namespace myelin::api {
namespace {

using core::Errc;

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

// The caller may change the path's profile field: their own, under a valid key name.
core::Status may_change(const Call& call) {
  if (call.param(0) != call.user().user_id) return core::fail(Errc::kForbidden, "You can only change your own profile");
  if (!valid_key_name(call.param(1))) return core::fail(Errc::kInvalidParam, "Invalid profile key");
  return {};
}

// The path's user's profile for the caller (anonymous on routes that allow it), then `then`
// with it; a user of another server is asked for over federation.
void lookup(const Call& call, std::function<void(const Call&, const homeserver::Profile&)> then) {
  auto target = core::UserId::parse(call.param(0));
  if (!target) return call.fail(core::make_error(Errc::kInvalidParam, "Invalid user ID"));
  std::optional<homeserver::ProfileViewer> viewer;
  if (call.session) viewer = homeserver::ProfileViewer{call.user().user_id, call.user().admin};
  call.hs.profiles.lookup(viewer, *target, [call, then = std::move(then)](core::Result<homeserver::Profile> user) {
    if (!user) return call.fail(user.error());
    then(call, *user);
  });
}

}  // namespace

void get_profile(Call& call) {
  lookup(call, [](const Call& call, const homeserver::Profile& user) {
    json::object profile;
    if (!user.displayname.empty()) profile["displayname"] = user.displayname;
    if (!user.avatar_url.empty()) profile["avatar_url"] = user.avatar_url;
    call.reply(profile);
  });
}

void get_profile_field(Call& call) {
  lookup(call, [](const Call& call, const homeserver::Profile& user) {
    const std::string& key = call.param(1);
    const std::string* value = key == "displayname"  ? &user.displayname
                               : key == "avatar_url" ? &user.avatar_url
                                                     : nullptr;
    if (!value || value->empty()) return call.fail(core::make_error(Errc::kNotFound, "Profile field not set"));
    call.reply(json::object{{key, *value}});
  });
}

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
  const std::string text = value->is_string() ? std::string(value->get_string()) : std::string();
  call.answer(call.hs.profiles.set_field(call.user().user_id, call.user().guest, key, text));
}

// v1.16: removing a field is clearing it.
void delete_profile_field(Call& call) {
  if (auto ok = may_change(call); !ok) return call.fail(ok.error());
  call.answer(call.hs.profiles.set_field(call.user().user_id, call.user().guest, call.param(1), ""));
}

}  // namespace myelin::api
