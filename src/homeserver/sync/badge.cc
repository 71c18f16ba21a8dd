// The notification counts of a room (sync_pass.h) and the badge of a user: the sum over their
// joined rooms, which push delivery sends to push gateways.
#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "homeserver/push/push_delivery.h"
#include "homeserver/push/push_evaluator.h"
#include "homeserver/sync/sync_pass.h"
#include "homeserver/timeline/ignored_users.h"

namespace myelin::homeserver {

using storage::StreamPos;

namespace {

// Where the user has read the room up to: their receipts (m.read and m.read.private, the further
// of the two, per thread), never before their membership.
ReadPositions read_positions(const UnreadContext& context, const storage::Membership& membership) {
  ReadPositions reads;
  for (const auto& [thread_id, pos] : context.user_data.read_positions(membership.room_id, context.user)) {
    if (thread_id.empty()) reads.room = pos;
    else if (thread_id == "main") reads.main = pos;
    else reads.threads[thread_id] = pos;
  }
  reads.room = std::max(reads.room, membership.pos);
  return reads;
}

}  // namespace

RoomUnread room_unread(const UnreadContext& context, const RoomState& room, const storage::Membership& membership,
                       StreamPos now) {
  constexpr std::size_t kUnreadWindow = 100;
  // Every event of the range, parsed, with its thread: shared by all who count it.
  auto fetch = [&](StreamPos after, StreamPos upto) {
    std::vector<CountedEvent> events;
    std::vector<std::string> related;
    for (auto& event :
         context.store.room_events(room.room_id, after, upto, kUnreadWindow, storage::Direction::kBackward)) {
      auto pdu = core::parse_json_object(event.json);
      if (!pdu) continue;
      const json::value* content = pdu->if_contains("content");
      if (content && content->is_object() && content->get_object().contains("m.relates_to"))
        related.push_back(event.event_id);
      events.push_back({event.pos, std::move(event.sender), std::move(*pdu), {}});
    }
    std::map<StreamPos, std::string> thread_of;
    for (const auto& relation : context.relations.relations(related))
      if (!relation.thread_id.empty()) thread_of[relation.pos] = relation.thread_id;
    for (auto& event : events)
      if (auto thread = thread_of.find(event.pos); thread != thread_of.end()) event.thread_id = thread->second;
    return events;
  };
  auto evaluate = [&](StreamPos after, StreamPos upto, const ReadPositions& reads, RoomUnread& counts) {
    if (room.last_pos <= after || !room.pdu("m.room.create", "")) return;
    const PushRuleset& rules = context.push_rules();
    const PushContext push = push_context(room, context.user, rules.user_placeholder);
    for (const CountedEvent& event :
         context.unread.range(room.room_id, after, upto, [&] { return fetch(after, upto); })) {
      if (event.sender == context.user || (context.ignored && context.ignored->contains(event.sender))) continue;
      if (event.pos <= reads.read_up_to(event.thread_id)) continue;
      const PushResult result = evaluate_push_rules(*rules.rules, event.pdu, push);
      NotificationCounts& into = counts.of(event.thread_id);
      into.notifications += result.notify;
      into.highlights += result.highlight;
    }
  };
  return context.unread.get(context.user, room.room_id, read_positions(context, membership), now, evaluate);
}

std::int64_t SyncService::badge(const std::string& user_id) {
  std::optional<PushRuleset> rules;
  const IgnoredUsers ignored = ignored_users(user_data_store_, user_id);
  const UnreadContext context{store_,
                              relation_store_,
                              user_data_store_,
                              unread_counts_,
                              user_id,
                              [&]() -> const PushRuleset& {
                                if (!rules) rules = push_rules_cache_.rules(user_data_store_, user_id);
                                return *rules;
                              },
                              ignored.get()};
  const StreamPos now = position_store_.current_pos();
  std::int64_t total = 0;
  for (const storage::Membership& membership : store_.user_memberships(user_id)) {
    if (membership.membership != "join") continue;
    auto room = rooms_.room(membership.room_id);
    if (!room) continue;
    total += room_unread(context, *room, membership, now).total().notifications;
  }
  return total;
}

}  // namespace myelin::homeserver
