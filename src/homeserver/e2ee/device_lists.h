#pragma once
// Device-list tracking (client-server-api "Tracking the device list for a user"): which users'
// devices or keys changed, and whom that concerns. A change of a user's keys is recorded by the
// store at a position; this class wakes the syncs of everyone who shares a room with the user
// and answers, for a syncing user, which users changed (or started sharing a room with them)
// and which no longer share any room with them.
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "homeserver/timeline/notifier.h"
#include "homeserver/timeline/room_cache.h"
#include "storage/account_store.h"
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
  // Tells `servers`, the other servers that share a room with a local user, of a change of
  // theirs (an m.device_list_update EDU naming `device_id`, their most recently active device,
  // with no prev_id: the receiver fetches the whole list again), wired in homeserver.h.
  using Remote = std::function<void(const std::string& user_id, const std::string& device_id,
                                    storage::StreamPos stream_id, const std::set<std::string>& servers)>;
  DeviceLists(storage::KeyStore& store, storage::AccountStore& account_store, storage::EventStore& event_store,
              storage::PositionStore& position_store, RoomCache& rooms, Notifier& notifier, Remote remote)
      : store_(store),
        account_store_(account_store),
        event_store_(event_store),
        position_store_(position_store),
        rooms_(rooms),
        notifier_(notifier),
        remote_(std::move(remote)) {}

  // Wakes the user's peers after the store recorded a change of the user's devices or keys,
  // and tells the other servers in their rooms.
  void announce(const std::string& user_id);
  // An m.device_list_update (or m.signing_key_update) EDU from `origin` about its user: a
  // change of that user for the local users who share a room with them, whose clients then
  // query the user's keys again (from their server: keys/query is not cached). Ignored for a
  // user of another server or one who shares no room with anyone here.
  void remote_changed(const std::string& origin, const std::string& user_id);
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
  storage::AccountStore& account_store_;
  storage::EventStore& event_store_;
  storage::PositionStore& position_store_;
  RoomCache& rooms_;
  Notifier& notifier_;
  Remote remote_;
};

}  // namespace myelin::homeserver
