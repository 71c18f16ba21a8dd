#pragma once
// GET /notifications (client-server-api "Listing Notifications"): the events the user's push
// rules notify for, newest first, with the rule's actions and whether the user's read receipt
// (m.read or m.read.private, the further one) is at or after them. Computed when asked rather
// than stored as events arrive: a message in a room of 1,000 members writes nothing for this
// endpoint, which few clients call. Per joined room, the kScanPerRoom events before `from`
// (since the user joined) are judged, with the room's current state for the rules' context
// (display name, member count, power levels); `next_token` is the position of the last one
// returned. Single-threaded (the loop).
#include <optional>
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/push/push_rules_cache.h"
#include "homeserver/timeline/room_cache.h"
#include "storage/event_store.h"
#include "storage/user_data_store.h"

namespace myelin::homeserver {

class Notifications {
 public:
  Notifications(storage::EventStore& store, storage::UserDataStore& user_data, RoomCache& rooms)
      : store_(store), user_data_(user_data), rooms_(rooms) {}

  // `from` is a next_token (M_INVALID_PARAM otherwise); `limit` 1..100 (default 20);
  // `only` "highlight" or absent.
  core::Result<json::object> list(const std::string& user_id, const std::optional<std::string>& from,
                                  const std::optional<std::string>& limit, const std::optional<std::string>& only);

  static constexpr std::size_t kScanPerRoom = 100;

 private:
  storage::EventStore& store_;
  storage::UserDataStore& user_data_;
  RoomCache& rooms_;
  PushRulesCache rules_cache_;
};

}  // namespace myelin::homeserver
