#pragma once
// GET /sync (client-server-api "Syncing") and the deprecated event stream (GET /events).
// Tokens are sync_token.h's. A request's path: sync() records presence, then LongPoll runs
// compute() — now, and again at each wake-up while it waits — which builds the response
// section by section within one window (since, now] (sync.cc: account data, rooms, end-to-end
// encryption, presence; the rooms section is sync_rooms.cc, a joined room sync_joined.cc). An
// incremental sync with nothing new waits on the Notifier (no polling) until something
// arrives for the user or the timeout ends.
#include <functional>
#include <set>
#include <string>
#include <unordered_map>

#include "core/crypto.h"
#include "core/ids.h"
#include "homeserver/accounts/accounts.h"
#include "homeserver/e2ee/device_lists.h"
#include "homeserver/e2ee/keys.h"
#include "homeserver/e2ee/to_device.h"
#include "homeserver/push/push_rules_cache.h"
#include "homeserver/sync/long_poll.h"
#include "homeserver/sync/presence.h"
#include "homeserver/sync/sent_members.h"
#include "homeserver/sync/sync_token.h"
#include "homeserver/sync/typing.h"
#include "homeserver/sync/unread_counts.h"
#include "homeserver/timeline/aggregations.h"
#include "homeserver/timeline/filter.h"
#include "homeserver/timeline/notifier.h"
#include "homeserver/timeline/room_cache.h"
#include "http/http.h"
#include "storage/event_store.h"
#include "storage/position_store.h"
#include "storage/relation_store.h"
#include "storage/user_data_store.h"

namespace myelin::homeserver {

struct SyncRequest {
  explicit SyncRequest(Session who) : session(std::move(who)) {}
  Session session;
  SyncToken since;  // pos 0 = initial sync
  bool full_state = false;
  bool use_state_after = false;  // v1.16: rooms' state_after (to the timeline's end), not state
  Filter filter;
  std::int64_t timeout_ms = 0;
  std::string set_presence;  // "", online, unavailable, offline
};

class SyncService {
 public:
  SyncService(storage::EventStore& store, storage::RelationStore& relation_store,
              storage::PositionStore& position_store, storage::UserDataStore& user_data_store, RoomCache& rooms,
              Typing& typing, Presence& presence, Notifier& notifier, http::Scheduler& scheduler,
              DeviceLists& device_lists, Keys& keys, ToDevice& to_device, Aggregations& aggregations,
              std::string server_name, const core::SigningKey& key)
      : store_(store),
        relation_store_(relation_store),
        position_store_(position_store),
        user_data_store_(user_data_store),
        rooms_(rooms),
        typing_(typing),
        presence_(presence),
        device_lists_(device_lists),
        keys_(keys),
        to_device_(to_device),
        aggregations_(aggregations),
        server_name_(std::move(server_name)),
        key_(key),
        long_poll_(notifier, scheduler) {}

  // Calls `done` exactly once with the response body, now or when woken/timed out.
  void sync(SyncRequest request, std::function<void(json::object)> done);
  // The server is stopping: waiting syncs are answered now with what they have (usually
  // nothing new, and so the same position), and later ones do not wait.
  void stop_waiting() { long_poll_.stop(); }
  // The notifications the user has not read, over all their joined rooms (the badge that push
  // delivery sends; badge.cc).
  std::int64_t badge(const std::string& user_id);
  // The deprecated event stream (GET /events): the room events after `from` that the user may
  // read, in the rooms they are joined to, or only in `room_id` when given (peeking into a
  // room they may read without being joined). Waits like sync when there are none. Without
  // `from`, from now.
  void events(const Session& session, std::optional<storage::StreamPos> from, const std::optional<core::RoomId>& room,
              std::int64_t timeout_ms, std::function<void(json::object)> done);

 private:
  // Builds the response; `has_updates` says whether anything in it is new since `since`.
  json::object compute(const SyncRequest& request, bool& has_updates);
  json::object compute_with(const SyncRequest& request, SentMembers& sent, bool& has_updates);
  json::object compute_events(const Session& session, storage::StreamPos from, const std::string& room_id,
                              bool& has_updates);

  storage::EventStore& store_;
  storage::RelationStore& relation_store_;
  storage::PositionStore& position_store_;
  storage::UserDataStore& user_data_store_;
  RoomCache& rooms_;
  Typing& typing_;
  Presence& presence_;
  DeviceLists& device_lists_;
  Keys& keys_;
  ToDevice& to_device_;
  Aggregations& aggregations_;
  // For event_format "federation": this server's events as they leave it, signed.
  const std::string server_name_;
  const core::SigningKey& key_;
  LongPoll long_poll_;
  // Lazy loading's memory: 100,000 members over all devices, about 10 MB.
  SentMembersCache sent_members_{100'000};
  UnreadCounts unread_counts_;
  PushRulesCache push_rules_cache_;
};

}  // namespace myelin::homeserver
