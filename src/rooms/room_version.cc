// The room versions myelin supports (rooms/v1.md .. v12.md). v1 is written out; each later
// entry is the previous one plus the delta its spec page describes.
#include "rooms/room_version.h"

#include <array>

namespace myelin::rooms {
namespace {

constexpr RoomVersionRules kV1{
    .id = "1",
    .event_id_format = EventIdFormat::kServerScoped,
    .state_res_v1 = true,
    .redactions_in_auth_rules = true,
    .special_aliases_event = true,
    .enforce_signing_key_validity = false,
    .strict_canonical_json = false,
    .notifications_in_power_level_rules = false,
    .knocking = false,
    .restricted_join_rule = false,
    .redaction_keeps_join_rules_allow = false,
    .redaction_keeps_join_authorised_via = false,
    .knock_restricted_join_rule = false,
    .integer_power_levels = false,
};

constexpr RoomVersionRules next(RoomVersionRules r, std::string_view id) {
  r.id = id;
  return r;
}

constexpr RoomVersionRules v2_from(RoomVersionRules r) {
  r = next(r, "2");
  r.state_res_v1 = false;  // state resolution v2
  return r;
}

constexpr RoomVersionRules v3_from(RoomVersionRules r) {
  r = next(r, "3");
  r.event_id_format = EventIdFormat::kReferenceHash;  // MSC1659
  r.redactions_in_auth_rules = false;                 // v3-handling-redactions.md
  return r;
}

constexpr RoomVersionRules v4_from(RoomVersionRules r) {
  r = next(r, "4");
  r.event_id_format = EventIdFormat::kReferenceHashUrlSafe;  // MSC1884
  return r;
}

constexpr RoomVersionRules v5_from(RoomVersionRules r) {
  r = next(r, "5");
  r.enforce_signing_key_validity = true;  // MSC2077
  return r;
}

constexpr RoomVersionRules v6_from(RoomVersionRules r) {
  r = next(r, "6");
  r.special_aliases_event = false;              // MSC2432
  r.strict_canonical_json = true;               // MSC2540
  r.notifications_in_power_level_rules = true;  // MSC2209
  return r;
}

constexpr RoomVersionRules v7_from(RoomVersionRules r) {
  r = next(r, "7");
  r.knocking = true;  // MSC2403
  return r;
}

constexpr RoomVersionRules v8_from(RoomVersionRules r) {
  r = next(r, "8");
  r.restricted_join_rule = true;              // MSC3083
  r.redaction_keeps_join_rules_allow = true;  // MSC3083
  return r;
}

constexpr RoomVersionRules v9_from(RoomVersionRules r) {
  r = next(r, "9");
  r.redaction_keeps_join_authorised_via = true;  // MSC3375
  return r;
}

constexpr RoomVersionRules v10_from(RoomVersionRules r) {
  r = next(r, "10");
  r.knock_restricted_join_rule = true;  // MSC3787
  r.integer_power_levels = true;        // MSC3667
  return r;
}

constexpr RoomVersionRules v11_from(RoomVersionRules r) {
  r = next(r, "11");
  r.updated_redaction_rules = true;  // MSC2176, MSC3821, MSC3989, MSC2174
  r.use_room_create_sender = true;   // MSC2175
  return r;
}

constexpr RoomVersionRules v12_from(RoomVersionRules r) {
  r = next(r, "12");
  r.room_id_from_create_event = true;     // MSC4291
  r.creators_have_infinite_power = true;  // MSC4289
  r.state_res_v2_1 = true;                // MSC4297
  return r;
}

constexpr RoomVersionRules kV2 = v2_from(kV1);
constexpr RoomVersionRules kV3 = v3_from(kV2);
constexpr RoomVersionRules kV4 = v4_from(kV3);
constexpr RoomVersionRules kV5 = v5_from(kV4);
constexpr RoomVersionRules kV6 = v6_from(kV5);
constexpr RoomVersionRules kV7 = v7_from(kV6);
constexpr RoomVersionRules kV8 = v8_from(kV7);
constexpr RoomVersionRules kV9 = v9_from(kV8);
constexpr RoomVersionRules kV10 = v10_from(kV9);
constexpr RoomVersionRules kV11 = v11_from(kV10);
constexpr RoomVersionRules kV12 = v12_from(kV11);

constexpr std::array kRoomVersions{kV1, kV2, kV3, kV4, kV5, kV6, kV7, kV8, kV9, kV10, kV11, kV12};

}  // namespace

const RoomVersionRules* find_room_version(std::string_view id) {
  for (const RoomVersionRules& rules : kRoomVersions) {
    if (rules.id == id) return &rules;
  }
  return nullptr;
}

std::span<const RoomVersionRules> supported_room_versions() { return kRoomVersions; }

}  // namespace myelin::rooms
