// The room versions myelin supports (rooms/v10.md, v11.md, v12.md). Each entry is the previous
// one plus the delta its spec page describes.
#include "rooms/room_version.h"

#include <array>

namespace myelin::rooms {
namespace {

constexpr RoomVersionRules kV10{.id = "10"};

constexpr RoomVersionRules v11_from(RoomVersionRules r) {
  r.id = "11";
  r.updated_redaction_rules = true;  // MSC2176, MSC3821, MSC3989, MSC2174
  r.use_room_create_sender = true;   // MSC2175
  return r;
}

constexpr RoomVersionRules v12_from(RoomVersionRules r) {
  r.id = "12";
  r.room_id_from_create_event = true;     // MSC4291
  r.creators_have_infinite_power = true;  // MSC4289
  r.state_res_v2_1 = true;                // MSC4297
  return r;
}

constexpr RoomVersionRules kV11 = v11_from(kV10);
constexpr RoomVersionRules kV12 = v12_from(kV11);

constexpr std::array kRoomVersions{kV10, kV11, kV12};

}  // namespace

const RoomVersionRules* find_room_version(std::string_view id) {
  for (const RoomVersionRules& rules : kRoomVersions) {
    if (rules.id == id) return &rules;
  }
  return nullptr;
}

std::span<const RoomVersionRules> supported_room_versions() { return kRoomVersions; }

}  // namespace myelin::rooms
