// The notification counts of a room (sync_pass.h) and the badge of a user: the sum over their
// joined rooms, which push delivery sends to push gateways.
#include <algorithm>

#include "homeserver/push/push_delivery.h"
#include "homeserver/push/push_evaluator.h"
#include "homeserver/sync/sync_pass.h"

namespace myelin::homeserver {

using storage::StreamPos;

NotificationCounts room_notification_counts(storage::EventStore& store, storage::UserDataStore& user_data,
                                            UnreadCounts& unread, const std::function<const PushRuleset&()>& push_rules,
                                            const std::string& user, const RoomState& room,
                                            const storage::Membership& membership, StreamPos now) {
  constexpr std::size_t kUnreadWindow = 100;
  StreamPos read_up_to = 0;
  for (const char* type : {"m.read", "m.read.private"}) {
    if (auto receipt = user_data.user_receipt(membership.room_id, user, type)) {
      if (auto read = store.event(receipt->event_id)) read_up_to = std::max(read_up_to, read->pos);
    }
  }
  read_up_to = std::max(read_up_to, membership.pos);
  const json::object* create = room.pdu("m.room.create", "");
  auto evaluate = [&](StreamPos after, StreamPos upto) {
    NotificationCounts counts;
    if (room.last_pos <= after || !create) return counts;
    const PushRuleset& rules = push_rules();
    const PushContext context = push_context(room, user, rules.user_placeholder);
    for (const auto& event :
         store.room_events(room.room_id, after, upto, kUnreadWindow, storage::Direction::kBackward)) {
      if (event.sender == user) continue;
      auto pdu = core::parse_json_object(event.json);
      if (!pdu) continue;
      const PushResult result = evaluate_push_rules(*rules.rules, *pdu, context);
      counts.notifications += result.notify;
      counts.highlights += result.highlight;
    }
    return counts;
  };
  return unread.get(user, room.room_id, read_up_to, now, evaluate);
}

std::int64_t SyncService::badge(const std::string& user_id) {
  std::optional<PushRuleset> rules;
  auto push_rules = [&]() -> const PushRuleset& {
    if (!rules) rules = push_rules_cache_.rules(user_data_store_, user_id);
    return *rules;
  };
  const StreamPos now = position_store_.current_pos();
  std::int64_t total = 0;
  for (const storage::Membership& membership : store_.user_memberships(user_id)) {
    if (membership.membership != "join") continue;
    auto room = rooms_.room(membership.room_id);
    if (!room) continue;
    total +=
        room_notification_counts(store_, user_data_store_, unread_counts_, push_rules, user_id, *room, membership, now)
            .notifications;
  }
  return total;
}

}  // namespace myelin::homeserver
