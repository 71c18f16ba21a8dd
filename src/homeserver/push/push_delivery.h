#pragma once
// Push delivery (client-server-api "Push Notifications", server behaviour): a subscriber of the
// write path (wired in homeserver.h, after the Notifier). For each new event, the local users
// with pushers among the room's joined members and the target of a member event (an invitee),
// except the sender, have their push rules judge it; when the actions notify, each of their
// pushers gets a push (push_payload.h) through the PushSender. A room whose members have no
// pushers costs set lookups (over the smaller of its members and the users with pushers), no
// store read. The badge of a recipient looks at each of their joined rooms (the counts kept
// between syncs, UnreadCounts, so mostly only the new event is judged). When a user's read
// receipt moves, their pushers get the new badge (a push without an event). Single-threaded.
#include <functional>
#include <string>

#include "homeserver/push/options.h"
#include "homeserver/push/push_evaluator.h"
#include "homeserver/push/push_rules_cache.h"
#include "homeserver/push/push_sender.h"
#include "homeserver/push/pushers.h"
#include "homeserver/timeline/write_path.h"
#include "storage/user_data_store.h"

namespace myelin::homeserver {

class PushDelivery {
 public:
  // The number of notifications the user has not read, over all their rooms (the badge).
  using Badge = std::function<std::int64_t(const std::string& user_id)>;
  PushDelivery(const PushOptions& config, storage::UserDataStore& user_data, Pushers& pushers, PushSender& sender,
               Badge badge)
      : config_(config), user_data_(user_data), pushers_(pushers), sender_(sender), badge_(std::move(badge)) {}

  void on_written(const Written& written);
  void on_read(const std::string& user_id);

 private:
  void consider(const std::string& user_id, const Written& written);

  const PushOptions& config_;
  storage::UserDataStore& user_data_;
  Pushers& pushers_;
  PushSender& sender_;
  Badge badge_;
  PushRulesCache rules_cache_;
};

// The PushContext of `user_id` in `room` (display name, member count, who may notify @room).
PushContext push_context(const RoomState& room, const std::string& user_id, bool user_placeholder);

}  // namespace myelin::homeserver
