#include "homeserver/e2ee/device_lists.h"

#include <tuple>

#include "core/ids.h"
#include "homeserver/timeline/visibility.h"

namespace myelin::homeserver {

void DeviceLists::announce(const std::string& user_id) {
  auto user = core::UserId::parse(user_id);
  std::set<std::string> servers;
  for (const auto& peer : rooms_.peers(user_id)) {
    notifier_.notify_user(peer);
    auto peer_id = core::UserId::parse(peer);
    if (user && peer_id && peer_id->server() != user->server()) servers.emplace(peer_id->server());
  }
  if (servers.empty()) return;
  std::string device_id;
  std::int64_t last_seen = INT64_MIN;
  for (const auto& device : account_store_.devices(user_id))
    if (device.last_seen_ts >= last_seen)
      std::tie(device_id, last_seen) = std::pair(device.device_id, device.last_seen_ts);
  remote_(user_id, device_id, store_.latest_device_list_change(user_id), servers);
}

void DeviceLists::remote_changed(const std::string& origin, const std::string& user_id) {
  auto user = core::UserId::parse(user_id);
  if (!user || user->server() != origin) return;
  std::set<std::string> peers = rooms_.peers(user_id);
  peers.erase(user_id);
  if (peers.empty()) return;
  account_store_.mark_device_list_changed(user_id);
  for (const auto& peer : peers) notifier_.notify_user(peer);
}

DeviceListUpdate DeviceLists::changes(const std::string& user_id, storage::StreamPos since, storage::StreamPos upto,
                                      const std::vector<storage::Membership>& memberships) {
  DeviceListUpdate update;
  std::vector<std::shared_ptr<const RoomState>> joined_rooms;
  std::set<std::string> maybe_left;
  for (const auto& membership : memberships) {
    std::shared_ptr<const RoomState> room = rooms_.room(membership.room_id);
    if (!room) continue;
    if (membership.membership == "join") {
      joined_rooms.push_back(room);
      if (membership.pos > since && membership.pos <= upto &&
          membership_at(event_store_, membership, since) != "join") {
        // Newly joined: everyone in the room is new to this user's device lists.
        for (const auto& member : room->joined)
          if (member != user_id) update.changed.insert(member);
      } else if (room->last_pos > since) {
        // Members who joined since `since` are new; those who went may have left entirely.
        room->members_changed(since, upto, [&](const std::string& member) {
          if (member == user_id) return;
          if (room->joined.contains(member)) update.changed.insert(member);
          else maybe_left.insert(member);
        });
      }
    } else if (membership.pos > since && membership.pos <= upto &&
               membership_at(event_store_, membership, since) == "join") {
      // The user left the room: its members, and those who left it meanwhile, may no longer
      // share any room with them.
      maybe_left.insert(room->joined.begin(), room->joined.end());
      room->members_changed(since, upto, [&](const std::string& member) { maybe_left.insert(member); });
    }
  }
  auto shares_room = [&](const std::string& other) {
    for (const auto& room : joined_rooms)
      if (room->joined.contains(other)) return true;
    return false;
  };
  for (const auto& changed : store_.device_list_changes(since, upto, user_id))
    if (changed == user_id || shares_room(changed)) update.changed.insert(changed);
  for (const auto& other : maybe_left)
    if (other != user_id && !shares_room(other)) update.left.insert(other);
  for (const auto& other : update.left) update.changed.erase(other);
  return update;
}

json::object DeviceLists::key_changes(const std::string& user_id, storage::StreamPos from, storage::StreamPos to) {
  const storage::StreamPos upto = std::min(to, position_store_.current_pos());
  auto update = changes(user_id, from, upto, event_store_.user_memberships(user_id));
  json::array changed(update.changed.begin(), update.changed.end()), left(update.left.begin(), update.left.end());
  return json::object{{"changed", std::move(changed)}, {"left", std::move(left)}};
}

}  // namespace myelin::homeserver
