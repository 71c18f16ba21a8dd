#pragma once
// Device-list tracking (client-server-api "Tracking the device list for a user"): which users'
// devices or keys changed, and whom that concerns. A change of a user's keys is recorded by the
// store at a position; this class wakes the syncs of everyone who shares a room with the user
// and answers, for a syncing user, which users changed (or started sharing a room with them)
// and which no longer share any room with them.
#include <set>
#include <string>
#include <vector>

#include "homeserver/timeline/notifier.h"
#include "homeserver/timeline/room_cache.h"
#include "storage/event_store.h"
#include "storage/key_store.h"
#include "storage/position_store.h"

namespace myelin::homeserver {

struct DeviceListUpdate {
  std::set<std::string> changed;
  std::set<std::string> left;
  bool empty() const { return changed.empty() && left.empty(); }
};

class DeviceLists {
 public:
  DeviceLists(storage::KeyStore& store, storage::EventStore& event_store, storage::PositionStore& position_store,
              RoomCache& rooms, Notifier& notifier)
      : store_(store), event_store_(event_store), position_store_(position_store), rooms_(rooms), notifier_(notifier) {}

  // Wakes the user's peers after the store recorded a change of the user's devices or keys.
  void announce(const std::string& user_id);
  // Wakes only `observer` (their signature on user's keys changed what they see).
  void announce_to(const std::string& observer) { notifier_.notify_user(observer); }

  // What changed for `user_id` in (since, upto], given their current memberships.
  DeviceListUpdate changes(const std::string& user_id, storage::StreamPos since, storage::StreamPos upto,
                           const std::vector<storage::Membership>& memberships);
  // GET keys/changes: {"changed", "left"}, the users whose keys changed for `user_id` in
  // (from, to], `to` capped at the current stream position.
  json::object key_changes(const std::string& user_id, storage::StreamPos from, storage::StreamPos to);

 private:
  storage::KeyStore& store_;
  storage::EventStore& event_store_;
  storage::PositionStore& position_store_;
  RoomCache& rooms_;
  Notifier& notifier_;
};

}  // namespace myelin::homeserver
