#include "homeserver/push/push_payload.h"

namespace myelin::homeserver {

json::object tweaks_of(const json::array& actions) {
  json::object tweaks;
  for (const auto& action : actions) {
    if (!action.is_object()) continue;
    const auto* name = action.get_object().if_contains("set_tweak");
    if (!name || !name->is_string()) continue;
    const auto* value = action.get_object().if_contains("value");
    tweaks[name->get_string()] = value ? *value : json::value(true);  // highlight without a value is true
  }
  return tweaks;
}

bool wants_event_id_only(const storage::PusherRecord& pusher) {
  auto data = core::parse_json_object(pusher.data);
  if (!data) return true;
  const auto* format = data->if_contains("format");
  return format && format->is_string() && format->get_string() == "event_id_only";
}

json::object notify_body(const PushNotice& notice, const storage::PusherRecord& pusher, bool event_id_only) {
  json::object data;
  if (auto stored = core::parse_json_object(pusher.data)) data = std::move(*stored);
  data.erase("url");
  json::object device{{"app_id", pusher.app_id},
                      {"pushkey", pusher.pushkey},
                      {"pushkey_ts", pusher.pushkey_ts / 1000},
                      {"data", std::move(data)},
                      {"tweaks", notice.tweaks}};
  json::object notification{{"counts", json::object{{"unread", notice.unread}}},
                            {"devices", json::array{std::move(device)}}};
  if (notice.event_id.empty()) return {{"notification", std::move(notification)}};
  notification["event_id"] = notice.event_id;
  notification["room_id"] = notice.room_id;
  notification["prio"] = notice.high_priority ? "high" : "low";
  if (!event_id_only) {
    notification["id"] = notice.event_id;  // the field's old name, which some gateways still read
    notification["type"] = notice.type;
    notification["sender"] = notice.sender;
    if (!notice.sender_display_name.empty()) notification["sender_display_name"] = notice.sender_display_name;
    if (!notice.room_name.empty()) notification["room_name"] = notice.room_name;
    if (!notice.room_alias.empty()) notification["room_alias"] = notice.room_alias;
    if (notice.state_key) {
      notification["user_is_target"] = notice.user_is_target;
      if (notice.type == "m.room.member")
        if (const auto* membership = notice.content.if_contains("membership")) notification["membership"] = *membership;
    }
    notification["content"] = notice.content;
  }
  return {{"notification", std::move(notification)}};
}

}  // namespace myelin::homeserver
