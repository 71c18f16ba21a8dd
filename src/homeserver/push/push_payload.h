#pragma once
// The body of a push (push-gateway-api POST /_matrix/push/v1/notify) for one pusher. Pure.
// The full form carries the event's fields, its content, the sender's display name and the
// room's name; event_id_only (the pusher's data.format, or forced by push.event_id_only)
// carries only event_id, room_id, prio, counts and devices. A push without an event (a read
// receipt changed the badge) carries counts and devices only. `unread` is always sent, even
// 0 (that is how a badge is cleared); missed calls are not counted, so never sent.
#include <cstdint>
#include <optional>
#include <string>

#include "core/json.h"
#include "storage/pusher_store.h"

namespace myelin::homeserver {

struct PushNotice {
  std::string event_id;  // "" for a badge update
  std::string room_id, type, sender, sender_display_name, room_name, room_alias;
  std::optional<std::string> state_key;  // of a state event
  json::object content;
  bool user_is_target = false;  // the recipient is the state_key of a member event
  bool high_priority = true;
  std::int64_t unread = 0;  // notifications the user has not read, over all their rooms
  json::object tweaks;      // set_tweak actions of the rule that matched
};

// The tweaks ({"sound": "default", "highlight": true, ...}) of a rule's actions.
json::object tweaks_of(const json::array& actions);

json::object notify_body(const PushNotice& notice, const storage::PusherRecord& pusher, bool event_id_only);

// Whether the pusher's data asks for the event_id_only format.
bool wants_event_id_only(const storage::PusherRecord& pusher);

}  // namespace myelin::homeserver
