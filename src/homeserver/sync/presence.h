#pragma once
// Presence (client-server-api "Presence"). Off by default (config presence.enabled: privacy):
// then nothing is recorded, set() is ignored, get() answers "offline" and /sync's presence
// section stays empty. When on, presence lives in memory only (a restart forgets it) and is
// shown only to users who share a room with its owner.
#include <cstdint>
#include <optional>
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
  Presence(const PresenceOptions& config, storage::PositionStore& store, storage::EventStore& event_store,
           RoomCache& rooms, Notifier& notifier)
      : config_(config), store_(store), event_store_(event_store), rooms_(rooms), notifier_(notifier) {}

  struct State {
    std::string presence = "offline";  // online, unavailable, offline
    std::string status_msg;
    std::int64_t last_active_ts = 0;
    storage::StreamPos pos = 0;
  };

  bool enabled() const { return config_.presence_enabled; }
  // presence must be online, unavailable or offline (the API layer checks).
  void set(const core::UserId& user_id, const std::string& presence, const std::optional<std::string>& status_msg);
  // A syncing client: `set_presence` (default online) unless the user chose otherwise.
  void on_sync(const core::UserId& user_id, const std::string& set_presence);
  State get(const core::UserId& user_id) const;
  // GET /presence/{userId}/status: the m.presence content of `target` for `viewer`; M_FORBIDDEN
  // unless they share a room (joined or invited).
  core::Result<json::object> status(const core::UserId& viewer, const core::UserId& target) const;
  // m.presence events of users sharing a room with `user_id`, changed after `since`.
  json::array events_since(const std::string& user_id, storage::StreamPos since);

 private:
  void announce(const std::string& user_id);
  static json::object content(const State& state);
  json::object event(const std::string& user_id, const State& state) const;
  const PresenceOptions& config_;
  storage::PositionStore& store_;
  storage::EventStore& event_store_;
  RoomCache& rooms_;
  Notifier& notifier_;
  std::unordered_map<std::string, State> states_;
};

}  // namespace myelin::homeserver
