#pragma once
// Room versions are data: one table (room_version.cc), each version the previous plus a
// delta. Code branches on these flags, never on the version string.
#include <span>
#include <string_view>

namespace myelin::rooms {

// How a version names its events (rooms/fragments/v1-event-ids.md, v3.md "Event IDs",
// v4-event-ids.md).
enum class EventIdFormat {
  // v1, v2: "$opaque:server" chosen by the sending server and carried in the event as
  // "event_id"; prev_events and auth_events are [event_id, {"sha256": reference hash}] pairs,
  // and the event must be signed by the event ID's server too.
  kServerScoped,
  // v3: "$" + unpadded standard base64 of the reference hash; references are plain IDs.
  kReferenceHash,
  // v4+: "$" + URL-safe unpadded base64 of the reference hash.
  kReferenceHashUrlSafe,
};

struct RoomVersionRules {
  std::string_view id;
  bool stable = true;
  EventIdFormat event_id_format = EventIdFormat::kReferenceHashUrlSafe;
  // v1: state resolution v1 (rooms/v1.md "State resolution"); v2..v11 use v2. Recorded for
  // the state resolution code.
  bool state_res_v1 = false;
  // v1, v2: auth rule 11 — an m.room.redaction needs the redact level or an event ID on the
  // redacted event's server. v3 (rooms/fragments/v3-handling-redactions.md) moved the check
  // to the time the redaction is applied.
  bool redactions_in_auth_rules = false;
  // v1..v5: m.room.aliases has auth rule 4 (state_key = the sender's server) and keeps
  // content.aliases when redacted. v6 (MSC2432) removed both.
  bool special_aliases_event = false;
  // v5+ (MSC2077, rooms/fragments/v5-signing-requirements.md): a signing key's
  // valid_until_ts must be at least the event's origin_server_ts. For the federation layer.
  bool enforce_signing_key_validity = true;
  // v6+ (MSC2540, rooms/fragments/v6-canonical-json.md): events must be canonical JSON:
  // integers in [-(2^53)+1, (2^53)-1] only (so depth <= 2^53-1), no floats. Before v6 power
  // levels may also be floats, truncated (v1-floaty-power-levels.md).
  bool strict_canonical_json = true;
  // v6+ (MSC2209): the power level rules 9.4/9.5 (v12: 10.7/10.8) check the notifications
  // levels as well as the events levels.
  bool notifications_in_power_level_rules = true;
  // v7+ (MSC2403): the knock membership and join rule.
  bool knocking = true;
  // v8+ (MSC3083): the restricted join rule and content.join_authorised_via_users_server.
  bool restricted_join_rule = true;
  // v8+ (MSC3083): redaction keeps m.room.join_rules content.allow.
  bool redaction_keeps_join_rules_allow = true;
  // v9+ (MSC3375): redaction keeps m.room.member content.join_authorised_via_users_server.
  bool redaction_keeps_join_authorised_via = true;
  // v10+ (MSC3787): the knock_restricted join rule.
  bool knock_restricted_join_rule = true;
  // v10+ (MSC3667): power levels must be integers. Before, each value may also be a string
  // holding an integer (rooms/fragments/v1-stringy-power-levels.md), and rule 9.1 checks
  // only content.users.
  bool integer_power_levels = true;
  // v11 (MSC2174/2176/3821/3989): redaction keeps fewer keys of power_levels/create content
  // changes, m.room.create has no "creator" (sender is the creator), redacts in content.
  bool updated_redaction_rules = false;
  // v11 (MSC2175): the room creator is the create event's sender; content.creator is neither
  // required nor read. (v1-v10: content.creator is required and names the creator.)
  bool use_room_create_sender = false;
  // v12 (MSC4291): room ID = "!" + URL-safe base64 of the create event's reference hash; the
  // create event carries no room_id and is not listed in auth_events.
  bool room_id_from_create_event = false;
  // v12 (MSC4289): creators (create sender + content.additional_creators) have infinite power
  // and may not appear in power_levels.users.
  bool creators_have_infinite_power = false;
  // v12 (MSC4297): state resolution v2.1. Recorded for the state resolution code.
  bool state_res_v2_1 = false;
};

// nullptr when the version is unknown or unsupported.
const RoomVersionRules* find_room_version(std::string_view id);
// Versions 1..12, in order.
std::span<const RoomVersionRules> supported_room_versions();
inline constexpr std::string_view kDefaultRoomVersion = "12";

}  // namespace myelin::rooms
