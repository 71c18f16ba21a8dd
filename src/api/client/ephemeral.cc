// PUT  /_matrix/client/v3/rooms/{roomId}/typing/{userId}                  — client-server-api
//      "Typing Notifications"
// POST /_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId}  — "Receipts"
// POST /_matrix/client/v3/rooms/{roomId}/read_markers                     — "Read and unread
//      markers" (fully read markers)
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "api/handlers.h"
#include "core/ids.h"

namespace myelin::api {
namespace {

using core::Errc;

constexpr std::int64_t kDefaultTypingTimeoutMs = 30'000;

// The room, when the session's user is joined to it; M_FORBIDDEN otherwise (also for rooms
// the server does not know, so non-members learn nothing).
core::Result<homeserver::RoomState*> joined_room(const Call& call, const std::string& room_id) {
  homeserver::RoomState* room = call.hs.timeline.room(room_id);
  if (!room || room->membership(call.user().user_id) != "join")
    return core::fail(Errc::kForbidden, "You are not joined to this room");
  return room;
}

// The event, which must belong to `room_id`.
core::Result<storage::StoredEvent> room_event(const Call& call, const std::string& room_id,
                                              const std::string& event_id) {
  if (!core::is_valid_event_id(event_id)) return core::fail(Errc::kInvalidParam, "Invalid event ID");
  auto event = call.hs.store.event(event_id);
  if (!event || event->room_id != room_id) return core::fail(Errc::kNotFound, "Event not found in this room");
  return std::move(*event);
}

// Stream position of a stored event, 0 when unknown.
storage::StreamPos event_pos(const Call& call, std::string_view event_id) {
  auto event = call.hs.store.event(std::string(event_id));
  return event ? event->pos : 0;
}

// m.fully_read lives in room account data ({"event_id": ...}); it never moves backwards.
void set_fully_read(const Call& call, const std::string& room_id, const storage::StoredEvent& event) {
  const std::string& user_id = call.user().user_id;
  if (auto current = call.hs.store.account_data(user_id, room_id, "m.fully_read")) {
    auto parsed = core::parse_json_object(*current);
    if (parsed) {
      const auto previous = homeserver::string_field(*parsed, "event_id");
      if (previous == event.event_id || (!previous.empty() && event_pos(call, previous) > event.pos)) return;
    }
  }
  call.hs.store.set_account_data(user_id, room_id, "m.fully_read",
                                 core::to_string(json::object{{"event_id", event.event_id}}));
  call.hs.notifier.notify_user(user_id);
}

// An m.read or m.read.private receipt; an older event than the current receipt of the same
// thread leaves it unchanged. Public receipts wake every joined member's sync.
void set_receipt(const Call& call, const homeserver::RoomState& room, const std::string& type,
                 const storage::StoredEvent& event, const std::string& thread_id) {
  const std::string& user_id = call.user().user_id;
  if (auto current = call.hs.store.user_receipt(room.room_id, user_id, type);
      current && current->thread_id == thread_id &&
      (current->event_id == event.event_id || event_pos(call, current->event_id) > event.pos))
    return;
  call.hs.store.set_receipt({room.room_id, type, user_id, thread_id, event.event_id, core::now_ms(), 0});
  if (type == "m.read.private") return call.hs.notifier.notify_user(user_id);
  call.hs.notifier.notify_users(std::vector<std::string>(room.joined.begin(), room.joined.end()));
}

}  // namespace

void put_typing(Call& call) {
  const std::string& room_id = call.param(0);
  if (call.param(1) != call.user().user_id)
    return call.fail(core::make_error(Errc::kForbidden, "You can only set your own typing state"));
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto typing = optional_bool(*body, "typing");
  if (!typing) return call.fail(typing.error());
  if (!*typing) return call.fail(core::make_error(Errc::kMissingParam, "Missing typing"));
  auto timeout = optional_int(*body, "timeout");
  if (!timeout) return call.fail(timeout.error());
  auto room = joined_room(call, room_id);
  if (!room) return call.fail(room.error());
  call.hs.typing.set(room_id, call.user().user_id, **typing,
                     std::max<std::int64_t>(0, timeout->value_or(kDefaultTypingTimeoutMs)));
  call.reply(json::object{});
}

void post_receipt(Call& call) {
  const std::string& room_id = call.param(0);
  const std::string& type = call.param(1);
  if (type != "m.read" && type != "m.read.private" && type != "m.fully_read")
    return call.fail(core::make_error(Errc::kInvalidParam, "Unknown receipt type"));
  auto body = call.body();
  if (!body) return call.fail(body.error());
  std::string thread_id;
  if (auto thread = body->if_contains("thread_id"); thread && !thread->is_null()) {
    if (!thread->is_string() || thread->get_string().empty())
      return call.fail(core::make_error(Errc::kInvalidParam, "thread_id must be a non-empty string"));
    thread_id = thread->get_string();
    if (type == "m.fully_read")
      return call.fail(core::make_error(Errc::kInvalidParam, "m.fully_read cannot have a thread_id"));
    if (thread_id != "main" && !core::is_valid_event_id(thread_id))
      return call.fail(core::make_error(Errc::kInvalidParam, "thread_id must be \"main\" or an event ID"));
  }
  auto room = joined_room(call, room_id);
  if (!room) return call.fail(room.error());
  auto event = room_event(call, room_id, call.param(2));
  if (!event) return call.fail(event.error());
  // A receipt is kept per thread: only a thread root that is an event of the room makes one,
  // or any event-ID-shaped string would be a new row for every member to sync.
  if (!thread_id.empty() && thread_id != "main" && !room_event(call, room_id, thread_id))
    return call.fail(core::make_error(Errc::kInvalidParam, "thread_id names no event of this room"));
  if (type == "m.fully_read") {
    set_fully_read(call, room_id, *event);
  } else {
    set_receipt(call, **room, type, *event, thread_id);
  }
  call.reply(json::object{});
}

void post_read_markers(Call& call) {
  const std::string& room_id = call.param(0);
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto room = joined_room(call, room_id);
  if (!room) return call.fail(room.error());
  // Validate every marker before writing any of them.
  std::vector<std::pair<std::string, storage::StoredEvent>> markers;
  for (const char* type : {"m.fully_read", "m.read", "m.read.private"}) {
    auto event_id = optional_string(*body, type);
    if (!event_id) return call.fail(event_id.error());
    if (!*event_id) continue;
    auto event = room_event(call, room_id, **event_id);
    if (!event) return call.fail(event.error());
    markers.emplace_back(type, std::move(*event));
  }
  for (const auto& [type, event] : markers) {
    if (type == "m.fully_read") {
      set_fully_read(call, room_id, event);
    } else {
      set_receipt(call, **room, type, event, "");
    }
  }
  call.reply(json::object{});
}

}  // namespace myelin::api
