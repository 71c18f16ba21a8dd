// homeserver/sync/ephemeral.h
#include "homeserver/sync/ephemeral.h"

#include <algorithm>

#include "core/clock.h"
#include "core/ids.h"

namespace myelin::homeserver {

using core::Errc;

core::Result<std::shared_ptr<RoomState>> Ephemeral::joined_room(const std::string& user_id,
                                                                const std::string& room_id) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  if (!room || room->membership(user_id) != "join")
    return core::fail(Errc::kForbidden, "You are not joined to this room");
  return room;
}

core::Result<storage::StoredEvent> Ephemeral::room_event(const std::string& room_id, const std::string& event_id) {
  if (!core::is_valid_event_id(event_id)) return core::fail(Errc::kInvalidParam, "Invalid event ID");
  auto event = store_.event(event_id);
  if (!event || event->room_id != room_id) return core::fail(Errc::kNotFound, "Event not found in this room");
  return std::move(*event);
}

// Stream position of a stored event, 0 when unknown.
storage::StreamPos Ephemeral::event_pos(const std::string& event_id) {
  auto event = store_.event(event_id);
  return event ? event->pos : 0;
}

void Ephemeral::set_fully_read(const std::string& user_id, const std::string& room_id,
                               const storage::StoredEvent& event) {
  if (auto current = user_data_store_.account_data(user_id, room_id, "m.fully_read")) {
    auto parsed = core::parse_json_object(*current);
    if (parsed) {
      const auto previous = std::string(string_field(*parsed, "event_id"));
      if (previous == event.event_id || (!previous.empty() && event_pos(previous) > event.pos)) return;
    }
  }
  user_data_store_.set_account_data(user_id, room_id, "m.fully_read",
                                    core::to_string(json::object{{"event_id", event.event_id}}));
  notifier_.notify_user(user_id);
}

// An m.read or m.read.private receipt; an older event than the current receipt of the same
// thread leaves it unchanged. Public receipts wake every joined member's sync.
void Ephemeral::write_receipt(const std::string& user_id, const RoomState& room, const std::string& type,
                              const storage::StoredEvent& event, const std::string& thread_id) {
  if (auto current = user_data_store_.user_receipt(room.room_id, user_id, type, thread_id);
      current && (current->event_id == event.event_id || event_pos(current->event_id) > event.pos))
    return;
  const std::int64_t now = core::now_ms();
  user_data_store_.set_receipt({room.room_id, type, user_id, thread_id, event.event_id, now, 0});
  read_(user_id);
  if (type == "m.read.private") return notifier_.notify_user(user_id);
  notifier_.notify_users(std::vector<std::string>(room.joined.begin(), room.joined.end()));
  json::object data{{"ts", now}};
  if (!thread_id.empty()) data["thread_id"] = thread_id;
  json::object receipt{{"event_ids", json::array{json::value(event.event_id)}}, {"data", std::move(data)}};
  shared_(user_id, room, "m.receipt",
          json::object{{room.room_id, json::object{{"m.read", json::object{{user_id, std::move(receipt)}}}}}});
}

core::Status Ephemeral::set_typing(const core::UserId& user_id, const core::RoomId& room_id, bool typing,
                                   std::optional<std::int64_t> timeout_ms) {
  auto room = joined_room(user_id, room_id);
  if (!room) return std::unexpected(room.error());
  typing_.set(room_id, user_id, typing, timeout_ms.value_or(kDefaultTypingTimeoutMs));
  shared_(user_id, **room, "m.typing",
          json::object{{"room_id", room_id.str()}, {"user_id", user_id.str()}, {"typing", typing}});
  return {};
}

core::Status Ephemeral::set_receipt(const core::UserId& user_id, const core::RoomId& room_id, const std::string& type,
                                    const core::EventId& event_id, const std::string& thread_id) {
  auto room = joined_room(user_id, room_id);
  if (!room) return std::unexpected(room.error());
  auto event = room_event(room_id, event_id);
  if (!event) return std::unexpected(event.error());
  if (!thread_id.empty() && thread_id != "main" && !room_event(room_id, thread_id))
    return core::fail(Errc::kInvalidParam, "thread_id names no event of this room");
  if (type == "m.fully_read") {
    set_fully_read(user_id, room_id, *event);
  } else {
    write_receipt(user_id, **room, type, *event, thread_id);
  }
  return {};
}

core::Status Ephemeral::set_read_markers(const core::UserId& user_id, const core::RoomId& room_id,
                                         const std::vector<std::pair<std::string, std::string>>& markers) {
  auto room = joined_room(user_id, room_id);
  if (!room) return std::unexpected(room.error());
  std::vector<std::pair<std::string, storage::StoredEvent>> events;
  for (const auto& [type, event_id] : markers) {
    auto event = room_event(room_id, event_id);
    if (!event) return std::unexpected(event.error());
    events.emplace_back(type, std::move(*event));
  }
  for (const auto& [type, event] : events) {
    if (type == "m.fully_read") {
      set_fully_read(user_id, room_id, event);
    } else {
      write_receipt(user_id, **room, type, event, "");
    }
  }
  return {};
}

}  // namespace myelin::homeserver
