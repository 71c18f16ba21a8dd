#pragma once
// What a client sends into a room (client-server-api "Sending events to a room",
// "Redactions"): message events, state events and redactions, each through Timeline::send
// (idempotent with a transaction). A state event is checked for what the auth rules do not
// cover: an m.room.canonical_alias may name only aliases that point to the room.
#include <optional>
#include <string>

#include "core/error.h"
#include "core/ids.h"
#include "core/json.h"
#include "homeserver/timeline/timeline.h"
#include "storage/room_directory_store.h"

namespace myelin::homeserver {

class EventSender {
 public:
  EventSender(Timeline& timeline, storage::RoomDirectoryStore& store) : timeline_(timeline), store_(store) {}

  core::Result<Sent> send(const core::UserId& sender, const core::RoomId& room_id, const std::string& type,
                          json::object content, const std::optional<storage::Transaction>& txn);
  // M_BAD_JSON / M_INVALID_PARAM for a malformed alias, M_BAD_ALIAS for one that does not
  // point to the room.
  core::Result<Sent> send_state(const core::UserId& sender, const core::RoomId& room_id, const std::string& type,
                                const std::string& state_key, json::object content,
                                const std::optional<storage::Transaction>& txn);
  core::Result<Sent> redact(const core::UserId& sender, const core::RoomId& room_id, const core::EventId& event_id,
                            const std::optional<std::string>& reason, const std::optional<storage::Transaction>& txn);

 private:
  core::Status check_canonical_alias(const std::string& room_id, const json::object& content);

  Timeline& timeline_;
  storage::RoomDirectoryStore& store_;
};

}  // namespace myelin::homeserver
