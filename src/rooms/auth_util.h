#pragma once
// Internal to src/rooms: small readers over PDUs shared by auth*.cc and power_levels.cc. They
// read leniently: a missing or mistyped field reads as absent.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "rooms/room_version.h"

namespace myelin::rooms::internal {

// object[key] when it is a string, else "".
std::string_view string_field(const json::object& object, std::string_view key);
// object[key] when it is an object, else nullptr.
const json::object* object_field(const json::object& object, std::string_view key);
// An integer JSON value (int64, or uint64 that fits); floats and strings are not integers.
std::optional<std::int64_t> as_integer(const json::value& value);
// A power level as the room version reads it: an integer; before v10 also a string holding
// one (optional surrounding whitespace, one optional sign, leading zeros); before v6 also a
// finite float, truncated (rooms/fragments/v1-stringy-power-levels.md,
// v1-floaty-power-levels.md). nullopt for anything else or outside int64.
std::optional<std::int64_t> as_power_level(const json::value& value, const RoomVersionRules& rules);
// object[key] as a power level, when present and one.
std::optional<std::int64_t> power_level_field(const json::object* object, std::string_view key,
                                              const RoomVersionRules& rules);
// The PDU's content, or nullptr.
const json::object* content_of(const json::object* pdu);
// content.membership of an m.room.member PDU; "leave" when there is none (no event).
std::string_view membership_of(const json::object* member_pdu);
// The server name part of a user ID ("" when there is no ':').
std::string_view server_of(std::string_view user_id);
// The room's creators: v12 the create sender plus content.additional_creators; v11 the
// sender; v10 content.creator.
std::vector<std::string> room_creators(const json::object& create, const RoomVersionRules& rules);

}  // namespace myelin::rooms::internal
