#pragma once
// Presence (client-server-api "Presence"). Off by default (config presence.enabled: privacy):
// then nothing is recorded, set() is ignored, get() answers "offline" and /sync's presence
// section stays empty, and none is sent to or taken from other servers. When on, presence lives
// in memory only (a restart forgets it) and is shown only to users who share a room with its
// owner; a local user's changes go to the other servers of those rooms (the m.presence EDU,
// server-server-api "Presence"), and theirs are taken for users sharing a room with ours.
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "core/error.h"
#include "core/ids.h"
#include "core/json.h"
#include "homeserver/sync/options.h"
#include "homeserver/timeline/notifier.h"
#include "homeserver/timeline/room_cache.h"
#include "storage/event_store.h"
#include "storage/position_store.h"

namespace myelin::homeserver {

class Presence {
 public:
  // Tells `servers` (other servers sharing a room with a local user) of the user's presence: one
  // entry of an m.presence EDU's `push` list.
  using Share = std::function<void(const std::set<std::string>& servers, json::object update)>;
  Presence(const PresenceOptions& config, std::string server_name, storage::PositionStore& store,
           storage::EventStore& event_store, RoomCache& rooms, Notifier& notifier, Share share)
      : config_(config),
        server_name_(std::move(server_name)),
        store_(store),
        event_store_(event_store),
        rooms_(rooms),
        notifier_(notifier),
        share_(std::move(share)) {}

  struct State {
    std::string presence = "offline";  // online, unavailable, offline
    std::string status_msg;
    std::int64_t last_active_ts = 0;
    storage::StreamPos pos = 0;
  };

  bool enabled() const { return config_.presence_enabled; }
  // presence must be online, unavailable or offline (the API layer checks).
  void set(const core::UserId& user_id, const std::string& presence, const std::optional<std::string>& status_msg);
  // An m.presence EDU's content from `origin`: each update of one of its users who shares a room
  // with a local user is taken (others, and malformed entries, are dropped).
  void receive(const std::string& origin, const json::object& content);
  // A syncing client: `set_presence` (default online) unless the user chose otherwise.
  void on_sync(const core::UserId& user_id, const std::string& set_presence);
  State get(const core::UserId& user_id) const;
  // GET /presence/{userId}/status: the m.presence content of `target` for `viewer`; M_FORBIDDEN
  // unless they share a room (joined or invited).
  core::Result<json::object> status(const core::UserId& viewer, const core::UserId& target) const;
  // m.presence events of users sharing a room with `user_id`, changed after `since`.
  json::array events_since(const std::string& user_id, storage::StreamPos since);
  // m.presence events of the members of `rooms` (the rooms `viewer` just joined) whose presence
  // has not changed after `since` (those that did are events_since's). At most 1,000; walks
  // the smaller of the members and the users with a presence.
  json::array unchanged_events(const std::vector<const RoomState*>& rooms, const std::string& viewer,
                               storage::StreamPos since) const;

 private:
  // Wakes the syncs of the users who share a room with `user_id`; returns those users.
  std::set<std::string> announce(const std::string& user_id);
  static json::object content(const State& state);
  json::object event(const std::string& user_id, const State& state) const;
  const PresenceOptions& config_;
  const std::string server_name_;
  storage::PositionStore& store_;
  storage::EventStore& event_store_;
  RoomCache& rooms_;
  Notifier& notifier_;
  Share share_;
  std::unordered_map<std::string, State> states_;
  std::size_t remote_users_ = 0;  // entries of states_ taken from other servers

 public:
  static constexpr std::size_t kMaxUpdatesPerEdu = 100;
  static constexpr std::size_t kMaxRemoteUsers = 100'000;  // further remote users' presence is dropped
  static constexpr std::size_t kMaxStatusBytes = 1024;     // a longer remote status_msg is cut out
};

// m.presence events in the shape of the deprecated endpoints (GET /events, /initialSync): the
// user's ID in their content as well as in `sender`, as the clients of those endpoints read it.
json::array legacy_presence(json::array events);

}  // namespace myelin::homeserver
