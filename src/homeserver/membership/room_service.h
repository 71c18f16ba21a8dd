#pragma once
// Room-level operations of the client API that are more than one plain event: creating a room
// (client-server-api "Creation"), the membership transitions (join, knock, invite, leave,
// kick, ban, unban, forget), profile propagation into rooms and room upgrades. Each builds
// events through Timeline, so the auth rules are the only place that decides what is allowed.
#include <optional>
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/timeline/timeline.h"

namespace myelin::homeserver {

// True when `a` and `b` are each joined to or invited into at least one common room (the
// privacy rule for profile and presence lookups). Always true for a == b.
bool share_a_room(storage::Store& store, const std::string& a, const std::string& b);

class RoomService {
 public:
  explicit RoomService(Timeline& timeline) : timeline_(timeline) {}

  // The version of rooms created without one (rooms.default_version; /capabilities shows it).
  const std::string& default_room_version() const { return timeline_.config().default_room_version; }

  // POST /createRoom with its already-parsed body. Returns the new room ID.
  core::Result<std::string> create_room(const std::string& creator, const json::object& request);

  // Resolves a room ID or a local alias (M_NOT_FOUND for an unknown alias, M_INVALID_PARAM for
  // neither).
  core::Result<std::string> resolve_room(const std::string& room_id_or_alias);

  core::Result<std::string> join(const std::string& user_id, const std::string& room_id,
                                 const std::string& reason);
  core::Result<std::string> knock(const std::string& user_id, const std::string& room_id,
                                  const std::string& reason);
  // Sets target's membership to `membership` (invite, leave, ban) as `sender`; leaving yourself
  // is sender == target.
  core::Result<std::string> set_membership(const std::string& sender, const std::string& room_id,
                                           const std::string& target, const std::string& membership,
                                           const std::string& reason, bool is_direct = false);
  core::Status forget(const std::string& user_id, const std::string& room_id);

  // Sends a fresh m.room.member join with the user's new profile into every joined room.
  void propagate_profile(const std::string& user_id);
  // Leaves every room the user is joined to, invited to or knocking on (account deactivation).
  void leave_all(const std::string& user_id);

  // POST /rooms/{roomId}/upgrade: returns the replacement room's ID. `additional_creators`
  // (v12 rooms; ignored for versions without them) are not carried over from the old room.
  core::Result<std::string> upgrade(const std::string& user_id, const std::string& room_id,
                                    const std::string& new_version,
                                    const std::vector<std::string>& additional_creators);

 private:
  // The content of a member event for `user_id` with their current profile.
  json::object member_content(const std::string& user_id, const std::string& membership,
                              const std::string& reason);
  Timeline& timeline_;
};

}  // namespace myelin::homeserver
