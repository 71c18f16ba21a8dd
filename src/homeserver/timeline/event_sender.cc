// Client sends (homeserver/timeline/event_sender.h).
#include "homeserver/timeline/event_sender.h"

#include <vector>

#include "core/ids.h"

namespace myelin::homeserver {

using core::Errc;

namespace {

// A tombstone (client-server-api "Room Upgrades") names another room: one naming its own room
// would send clients that follow it round in a circle.
core::Status check_tombstone(const core::RoomId& room_id, const std::string& type, const json::object& content) {
  const json::value* replacement = content.if_contains("replacement_room");
  if (type == "m.room.tombstone" && replacement && replacement->is_string() &&
      replacement->get_string() == room_id.str())
    return core::fail(Errc::kBadJson, "A tombstone cannot name its own room as the replacement");
  return {};
}

}  // namespace

core::Result<Sent> EventSender::send(const core::UserId& sender, const core::RoomId& room_id, const std::string& type,
                                     json::object content, const std::optional<storage::Transaction>& txn) {
  if (auto valid = check_tombstone(room_id, type, content); !valid) return std::unexpected(valid.error());
  return timeline_.send(room_id, {sender, type, std::nullopt, std::move(content), {}}, txn);
}

core::Result<Sent> EventSender::send_state(const core::UserId& sender, const core::RoomId& room_id,
                                           const std::string& type, const std::string& state_key, json::object content,
                                           const std::optional<storage::Transaction>& txn) {
  if (type == "m.room.canonical_alias") {
    if (auto valid = check_canonical_alias(room_id, content); !valid) return std::unexpected(valid.error());
  }
  if (auto valid = check_tombstone(room_id, type, content); !valid) return std::unexpected(valid.error());
  return timeline_.send(room_id, {sender, type, state_key, std::move(content), {}}, txn);
}

core::Result<Sent> EventSender::redact(const core::UserId& sender, const core::RoomId& room_id,
                                       const core::EventId& event_id, const std::optional<std::string>& reason,
                                       const std::optional<storage::Transaction>& txn) {
  json::object content;
  if (reason) content["reason"] = *reason;
  return timeline_.send(room_id, {sender, "m.room.redaction", std::nullopt, std::move(content), event_id}, txn);
}

// m.room.canonical_alias (client-server-api): every alias named must exist and point at this
// room, else 400 M_BAD_ALIAS.
core::Status EventSender::check_canonical_alias(const std::string& room_id, const json::object& content) {
  std::vector<std::string> aliases;
  if (auto alias = content.if_contains("alias")) {
    if (!alias->is_string()) return core::fail(Errc::kBadJson, "alias must be a string");
    aliases.emplace_back(alias->get_string());
  }
  if (auto alt = content.if_contains("alt_aliases")) {
    if (!alt->is_array()) return core::fail(Errc::kBadJson, "alt_aliases must be an array");
    for (const auto& value : alt->get_array()) {
      if (!value.is_string()) return core::fail(Errc::kBadJson, "alt_aliases must hold strings");
      aliases.emplace_back(value.get_string());
    }
  }
  for (const auto& alias : aliases) {
    if (!core::RoomAlias::parse(alias)) return core::fail(Errc::kInvalidParam, "Invalid alias " + alias);
    if (store_.alias_room(alias) != room_id)
      return core::fail(Errc::kBadAlias, "Alias " + alias + " does not point to this room");
  }
  return {};
}

}  // namespace myelin::homeserver
