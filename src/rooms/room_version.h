#pragma once
// Room versions are data: one table (room_version.cc), each version the previous plus a
// delta. Code branches on these flags, never on the version string.
#include <span>
#include <string_view>

namespace myelin::rooms {

struct RoomVersionRules {
  std::string_view id;
  bool stable = true;
  // v11 (MSC2174/2176/3821/3989): redaction keeps fewer keys of power_levels/create content
  // changes, m.room.create has no "creator" (sender is the creator), redacts in content.
  bool updated_redaction_rules = false;
  // v11 (MSC2175): the room creator is the create event's sender; content.creator is neither
  // required nor read. (v10: content.creator is required and names the creator.)
  bool use_room_create_sender = false;
  // v12 (MSC4291): room ID = "!" + URL-safe base64 of the create event's reference hash; the
  // create event carries no room_id and is not listed in auth_events.
  bool room_id_from_create_event = false;
  // v12 (MSC4289): creators (create sender + content.additional_creators) have infinite power
  // and may not appear in power_levels.users.
  bool creators_have_infinite_power = false;
  // v12 (MSC4297): state resolution v2.1. Recorded for the federation layer.
  bool state_res_v2_1 = false;
};

// nullptr when the version is unknown or unsupported.
const RoomVersionRules* find_room_version(std::string_view id);
std::span<const RoomVersionRules> supported_room_versions();
inline constexpr std::string_view kDefaultRoomVersion = "12";

}  // namespace myelin::rooms
