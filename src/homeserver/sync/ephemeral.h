#pragma once
// What a joined member tells a room besides events: typing (client-server-api "Typing
// Notifications"), receipts ("Receipts") and the fully read marker ("Read and unread
// markers"). Each is for joined members only (M_FORBIDDEN otherwise, also for rooms the server
// does not know, so non-members learn nothing). Receipts and markers name an event of the room
// and never move backwards; m.fully_read is kept as room account data ({"event_id": ...}).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/ids.h"
#include "homeserver/sync/typing.h"
#include "homeserver/timeline/notifier.h"
#include "homeserver/timeline/room_cache.h"
#include "storage/event_store.h"
#include "storage/user_data_store.h"

namespace myelin::homeserver {

inline constexpr std::int64_t kDefaultTypingTimeoutMs = 30'000;

class Ephemeral {
 public:
  // `read` hears of each user whose read receipt (m.read or m.read.private) moved.
  using Read = std::function<void(const std::string& user_id)>;
  // `shared` hears of what the room's other servers are told (federation's EDUs, wired in
  // homeserver.h): a typing change (m.typing: {room_id, user_id, typing}) and a public read
  // receipt that moved (m.receipt: {room_id: {m.read: {user_id: {event_ids, data}}}}), for
  // any user — the listener keeps those of local users.
  using Shared = std::function<void(const std::string& user_id, const RoomState& room, const std::string& edu_type,
                                    json::object content)>;
  Ephemeral(RoomCache& rooms, storage::EventStore& store, storage::UserDataStore& user_data_store, Typing& typing,
            Notifier& notifier, Read read, Shared shared)
      : rooms_(rooms),
        store_(store),
        user_data_store_(user_data_store),
        typing_(typing),
        notifier_(notifier),
        read_(std::move(read)),
        shared_(std::move(shared)) {}

  // `timeout_ms` defaults to kDefaultTypingTimeoutMs; Typing::set clamps it to 1 s to 2 min.
  core::Status set_typing(const core::UserId& user_id, const core::RoomId& room_id, bool typing,
                          std::optional<std::int64_t> timeout_ms);
  // `type` is m.read, m.read.private or m.fully_read; `thread_id` "" (unthreaded), "main" or
  // the ID of a thread root, which must be an event of the room (or any event-ID-shaped string
  // would be a new row for every member to sync). M_NOT_FOUND for an event not of the room.
  core::Status set_receipt(const core::UserId& user_id, const core::RoomId& room_id, const std::string& type,
                           const core::EventId& event_id, const std::string& thread_id);
  // POST /read_markers: (type, event ID) pairs, each checked before any is written. The IDs are
  // the body's text: M_INVALID_PARAM for a malformed one comes after the membership check.
  core::Status set_read_markers(const core::UserId& user_id, const core::RoomId& room_id,
                                const std::vector<std::pair<std::string, std::string>>& markers);

 private:
  core::Result<std::shared_ptr<RoomState>> joined_room(const std::string& user_id, const std::string& room_id);
  core::Result<storage::StoredEvent> room_event(const std::string& room_id, const std::string& event_id);
  storage::StreamPos event_pos(const std::string& event_id);
  void set_fully_read(const std::string& user_id, const std::string& room_id, const storage::StoredEvent& event);
  void write_receipt(const std::string& user_id, const RoomState& room, const std::string& type,
                     const storage::StoredEvent& event, const std::string& thread_id);

  RoomCache& rooms_;
  storage::EventStore& store_;
  storage::UserDataStore& user_data_store_;
  Typing& typing_;
  Notifier& notifier_;
  Read read_;
  Shared shared_;
};

}  // namespace myelin::homeserver
