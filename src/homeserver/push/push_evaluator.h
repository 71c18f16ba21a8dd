#pragma once
// Evaluating push rules against an event (client-server-api "Push Rules": conditions and
// actions) to decide whether it notifies and whether it highlights. Pure.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/json.h"

namespace myelin::homeserver {

struct PushContext {
  std::string user_id;
  std::string display_name;  // the user's display name in the room, may be empty
  std::int64_t member_count = 0;
  // sender_notification_permission: may `sender` trigger notifications of kind `key` ("room")?
  std::function<bool(std::string_view sender, std::string_view key)> sender_may_notify;
  // The rules are default_push_rules_template(): "@USER@" in a condition is user_id.
  bool user_placeholder = false;
};

struct PushResult {
  bool notify = false;
  bool highlight = false;
  // The matching rule's actions (inside `rules`, so valid while it is), or nullptr.
  const json::array* actions = nullptr;
};

// `rules` is a ruleset ({"global": {...}}); `event` has type, content, sender, room_id and
// state_key as in the client format. The first matching enabled rule decides.
PushResult evaluate_push_rules(const json::object& rules, const json::object& event, const PushContext& context);

}  // namespace myelin::homeserver
