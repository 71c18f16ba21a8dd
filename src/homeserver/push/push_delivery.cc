#include "homeserver/push/push_delivery.h"

#include <set>
#include <vector>

#include "homeserver/push/push_evaluator.h"
#include "homeserver/push/push_payload.h"
#include "homeserver/timeline/ignored_users.h"
#include "rooms/auth.h"

namespace myelin::homeserver {

PushContext push_context(const RoomState& room, const std::string& user_id, bool user_placeholder) {
  const json::object* member = room.content("m.room.member", user_id);
  const json::object* create = room.pdu("m.room.create", "");
  auto levels =
      create ? std::make_shared<rooms::PowerLevels>(room.content("m.room.power_levels", ""), *create, *room.rules)
             : nullptr;
  return PushContext{user_id, member ? std::string(string_field(*member, "displayname")) : "",
                     static_cast<std::int64_t>(room.joined.size()),
                     [levels](std::string_view sender, std::string_view key) {
                       return levels && key == "room" && levels->at_least(sender, levels->notifications_room());
                     },
                     user_placeholder};
}

void PushDelivery::on_written(const Written& written) {
  if (!pushers_.any()) return;
  const storage::NewEvent& row = written.event.row;
  const std::set<std::string>& joined = written.room.joined;
  // The members with pushers, found from the smaller of the two sets (consider() may shrink
  // the set of users, so they are gathered first).
  std::vector<std::string> recipients;
  if (pushers_.users().size() < joined.size()) {
    for (const std::string& user : pushers_.users())
      if (joined.contains(user)) recipients.push_back(user);
  } else {
    for (const std::string& member : joined)
      if (pushers_.may_have(member)) recipients.push_back(member);
  }
  if (row.type == "m.room.member" && row.state_key && !joined.contains(*row.state_key) &&
      pushers_.may_have(*row.state_key))
    recipients.push_back(*row.state_key);
  for (const std::string& user : recipients)
    if (user != row.sender) consider(user, written);
}

void PushDelivery::consider(const std::string& user_id, const Written& written) {
  const RoomState& room = written.room;
  const storage::NewEvent& row = written.event.row;
  const PushRuleset rules = rules_cache_.rules(user_data_, user_id);
  const PushContext context = push_context(room, user_id, rules.user_placeholder);
  const PushResult result = evaluate_push_rules(*rules.rules, written.event.pdu, context);
  if (!result.notify) return;
  const auto pushers = pushers_.of(user_id);
  if (pushers.empty()) return;
  // Nothing of a user they ignore reaches them (client-server-api "Ignoring Users").
  if (const IgnoredUsers ignored = ignored_users(user_data_, user_id); ignored && ignored->contains(row.sender)) return;

  PushNotice notice;
  notice.event_id = row.event_id;
  notice.room_id = row.room_id;
  notice.type = row.type;
  notice.sender = row.sender;
  notice.state_key = row.state_key;
  notice.user_is_target = row.state_key == user_id;
  if (const auto* content = written.event.pdu.if_contains("content"); content && content->is_object())
    notice.content = content->get_object();
  if (const json::object* sender = room.content("m.room.member", row.sender))
    notice.sender_display_name = std::string(string_field(*sender, "displayname"));
  if (const json::object* alias = room.content("m.room.canonical_alias", ""))
    notice.room_alias = std::string(string_field(*alias, "alias"));
  const json::object* name = room.content("m.room.name", "");
  notice.room_name = name ? std::string(string_field(*name, "name")) : notice.room_alias;
  if (result.actions) notice.tweaks = tweaks_of(*result.actions);
  notice.high_priority = result.highlight || notice.tweaks.contains("sound") || row.type == "m.room.message" ||
                         row.type == "m.room.encrypted";
  notice.unread = badge_(user_id);
  for (const auto& pusher : pushers)
    sender_.send(pusher, notify_body(notice, pusher, config_.event_id_only || wants_event_id_only(pusher)));
}

void PushDelivery::on_read(const std::string& user_id) {
  if (!pushers_.may_have(user_id)) return;
  const auto pushers = pushers_.of(user_id);
  if (pushers.empty()) return;
  PushNotice notice;
  notice.unread = badge_(user_id);
  for (const auto& pusher : pushers) sender_.send(pusher, notify_body(notice, pusher, true));
}

}  // namespace myelin::homeserver
