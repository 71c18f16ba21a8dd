// Profile lookups and changes (homeserver/membership/profiles.h).
#include "homeserver/membership/profiles.h"

#include "homeserver/timeline/shared_rooms.h"

namespace myelin::homeserver {

using core::Errc;

namespace {

// mxc://<server>/<media-id>
bool is_mxc_uri(const std::string& text) {
  const std::size_t slash = text.find('/', 6);
  return text.starts_with("mxc://") && slash != std::string::npos && slash != 6 && slash + 1 != text.size();
}

}  // namespace

core::Status Profiles::may_look_up(const std::optional<ProfileViewer>& viewer, const std::string& target) {
  if (!config_.profile_lookup_requires_shared_room) return {};
  if (!viewer) return core::fail(Errc::kMissingToken, "Log in to look up profiles");
  if (viewer->user_id == target || viewer->admin) return {};
  if (share_a_room(event_store_, viewer->user_id, target)) return {};
  return core::fail(Errc::kForbidden, "You do not share a room with this user");
}

void Profiles::lookup(const std::optional<ProfileViewer>& viewer, const core::UserId& target, Done done) {
  if (auto ok = may_look_up(viewer, target); !ok) return done(std::unexpected(ok.error()));
  if (target.server() != config_.server_name) return remote_(target, std::move(done));
  auto user = store_.user(target);
  if (!user || user->deactivated) return done(core::fail(Errc::kNotFound, "Profile not found"));
  done(Profile{user->displayname, user->avatar_url});
}

core::Status Profiles::set_field(const core::UserId& user_id, bool guest, const std::string& key,
                                 const std::string& value) {
  if (guest && key != "displayname")
    return core::fail(Errc::kGuestAccessForbidden, "Guests may only change their display name");
  if (key != "displayname" && key != "avatar_url")
    return core::fail(Errc::kForbidden, "Only displayname and avatar_url can be set");
  auto user = store_.user(user_id);
  if (!user) return core::fail(Errc::kNotFound, "Unknown user");
  if (key == "displayname") {
    if (value.size() > kMaxDisplaynameBytes) return core::fail(Errc::kInvalidParam, "displayname is too long");
    if (value == user->displayname) return {};
    store_.set_displayname(user_id, value);
  } else {
    if (value.size() > kMaxAvatarUrlBytes) return core::fail(Errc::kInvalidParam, "avatar_url is too long");
    if (!value.empty() && !is_mxc_uri(value))
      return core::fail(Errc::kInvalidParam, "avatar_url must be an mxc:// URI");
    if (value == user->avatar_url) return {};
    store_.set_avatar_url(user_id, value);
  }
  rooms_.propagate_profile(user_id);
  return {};
}

}  // namespace myelin::homeserver
