#pragma once
// Profiles (client-server-api "Profiles"): only the two historical fields are stored,
// displayname and avatar_url (the m.profile_fields capability lists them as the only ones
// clients may change). A change is propagated into the user's member events.
// PRIVACY: with MembershipOptions::profile_lookup_requires_shared_room, a user may only read the profile
// of someone they share a room with (both joined or invited); checked before existence, so the
// answer does not reveal whether the user exists.
#include <functional>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/ids.h"
#include "homeserver/membership/options.h"
#include "homeserver/membership/room_service.h"
#include "storage/account_store.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

struct Profile {
  std::string displayname;  // "" = unset
  std::string avatar_url;   // "" = unset
};

// Who looks a profile up (nullopt: an anonymous caller, who shares no room with anyone).
struct ProfileViewer {
  core::UserId user_id;
  bool admin = false;
};

inline constexpr std::size_t kMaxDisplaynameBytes = 256;
inline constexpr std::size_t kMaxAvatarUrlBytes = 1000;

class Profiles {
 public:
  using Done = std::function<void(core::Result<Profile>)>;
  // How a profile of another server's user is had (federation's RemoteProfiles, wired in
  // homeserver.h): `done` on the loop, once.
  using RemoteLookup = std::function<void(const core::UserId& user_id, Done done)>;
  Profiles(const MembershipOptions& config, storage::AccountStore& store, storage::EventStore& event_store,
           RoomService& rooms, RemoteLookup remote)
      : config_(config), store_(store), event_store_(event_store), rooms_(rooms), remote_(std::move(remote)) {}

  // `done` (possibly before this returns) gets the profile: M_MISSING_TOKEN (anonymous) or
  // M_FORBIDDEN when the privacy rule refuses, M_NOT_FOUND for no such (or a deactivated) user.
  // A remote user's comes from their server, under the same privacy rule.
  void lookup(const std::optional<ProfileViewer>& viewer, const core::UserId& target, Done done);
  // Sets the user's own `key` ("" clears it): only displayname and avatar_url (M_FORBIDDEN),
  // a guest only its displayname (M_GUEST_ACCESS_FORBIDDEN); M_INVALID_PARAM beyond the
  // lengths above or for an avatar_url that is no mxc:// URI.
  core::Status set_field(const core::UserId& user_id, bool guest, const std::string& key, const std::string& value);

 private:
  core::Status may_look_up(const std::optional<ProfileViewer>& viewer, const std::string& target);

  const MembershipOptions& config_;
  storage::AccountStore& store_;
  storage::EventStore& event_store_;
  RoomService& rooms_;
  RemoteLookup remote_;
};

}  // namespace myelin::homeserver
