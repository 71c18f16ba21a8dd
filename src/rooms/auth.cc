// The authorization rules of room versions 1 to 12 (rooms/fragments/v1-auth-rules.md,
// v3-auth-rules.md, v8-auth-rules.md, rooms/v6.md .. v12.md, "Authorisation rules") and the
// auth events selection (server-server-api.md).
//
// Rule numbers in comments are v12's unless a version is named. v12 inserted rule 2 (room ID
// = create event ID), so v6-v11 rules 2..10 are v12's 3..11. v1-v5 have rule 4 (m.room.aliases)
// where v12 has its rule 4 (m.federate is their 3), so their 5..10 are v12's 5..10; v1/v2 add
// rule 11 (m.room.redaction) and end with 12 (allow). The member and power level rules are in
// auth_membership.cc and auth_power_levels.cc.
#include "rooms/auth.h"

#include <algorithm>
#include <set>

#include "core/ids.h"
#include "rooms/auth_steps.h"
#include "rooms/auth_util.h"
#include "rooms/event_format.h"

namespace myelin::rooms {

using internal::content_of;
using internal::membership_of;
using internal::reject;
using internal::server_of;
using internal::string_field;

namespace internal {
std::unexpected<core::Error> reject(std::string message) {
  return core::fail(core::Errc::kForbidden, std::move(message));
}
}  // namespace internal

namespace {

// Rule 1: m.room.create.
core::Status check_create(const json::object& pdu, const RoomVersionRules& rules) {
  // 1.1 If it has any prev_events, reject.
  if (const json::value* prev = pdu.if_contains("prev_events");
      prev && !(prev->is_array() && prev->get_array().empty())) {
    return reject("m.room.create must not have prev_events (rule 1.1)");
  }
  const std::optional<core::UserId> sender = core::UserId::parse(string_field(pdu, "sender"));
  if (!sender) return reject("m.room.create sender is not a valid user ID");
  if (rules.room_id_from_create_event) {
    // 1.2 (v12) If the event has a room_id, reject.
    if (pdu.contains("room_id")) return reject("m.room.create must not have a room_id (rule 1.2)");
  } else {
    // 1.2 If the domain of the room_id does not match the domain of the sender, reject.
    const std::optional<core::RoomId> room = core::RoomId::parse(string_field(pdu, "room_id"));
    if (!room || room->server() != sender->server()) {
      return reject("m.room.create room_id domain does not match the sender's (rule 1.2)");
    }
  }
  const json::object* content = content_of(&pdu);
  if (!content) return reject("m.room.create has no content");
  // 1.3 If content.room_version is present and is not a recognised version, reject.
  if (const json::value* version = content->if_contains("room_version")) {
    if (!version->is_string() || !find_room_version(version->get_string())) {
      return reject("m.room.create names an unknown room_version (rule 1.3)");
    }
  }
  // 1.4 (v1-v10) If content has no creator property, reject.
  if (!rules.use_room_create_sender && !content->contains("creator")) {
    return reject("m.room.create has no content.creator (rule 1.4)");
  }
  // 1.4 (v12) additional_creators must be an array of valid user IDs.
  if (rules.creators_have_infinite_power) {
    if (const json::value* extra = content->if_contains("additional_creators")) {
      const bool valid = extra->is_array() &&
                         std::all_of(extra->get_array().begin(), extra->get_array().end(), [](const json::value& user) {
                           return user.is_string() && core::UserId::parse(user.get_string());
                         });
      if (!valid) return reject("additional_creators must be an array of user IDs (rule 1.4)");
    }
  }
  return {};  // 1.5 Otherwise, allow.
}

}  // namespace

core::Status authorize_event(const json::object& pdu, const StateLookup& state, const RoomVersionRules& rules,
                             std::string_view create_event_id) {
  const std::string_view type = string_field(pdu, "type");
  const std::string_view sender = string_field(pdu, "sender");
  if (type.empty() || sender.empty()) return reject("event has no type or sender");
  if (type == "m.room.create") return check_create(pdu, rules);  // rule 1

  const json::object* create = state("m.room.create", "");
  if (!create) return reject("the room has no m.room.create event (rule 2.4; v12 rule 2)");
  const std::string_view room_id = string_field(pdu, "room_id");
  if (rules.room_id_from_create_event) {
    // 2 (v12) If the room_id is not the create event's ID with sigil '!', reject.
    const bool from_create = create_event_id.empty()
                                 ? room_id == room_id_from_create_event(*create, rules)
                                 : room_id.starts_with('!') && room_id.substr(1) == create_event_id.substr(1);
    if (!from_create) {
      return reject("room_id is not the ID of the room's m.room.create event (rule 2)");
    }
  } else if (room_id != string_field(*create, "room_id")) {
    return reject("event is not in the m.room.create event's room (rule 2.5)");
  }
  // 3 (auth_events) is check_auth_events.
  // 4 If the create event's content has m.federate false and the sender's domain differs
  //   from the create sender's, reject.
  const json::object* create_content = content_of(create);
  if (const json::value* federate = create_content ? create_content->if_contains("m.federate") : nullptr;
      federate && federate->is_bool() && !federate->get_bool() &&
      server_of(sender) != server_of(string_field(*create, "sender"))) {
    return reject("the room does not federate (m.federate is false) (rule 4)");
  }

  // v1-v5 rule 4: m.room.aliases: allow iff the state_key is the sender's server.
  if (rules.special_aliases_event && type == "m.room.aliases") {
    const json::value* alias_key = pdu.if_contains("state_key");
    if (!alias_key) return reject("m.room.aliases has no state_key (v1 rule 4.1)");
    if (!alias_key->is_string() || alias_key->get_string() != server_of(sender)) {
      return reject("m.room.aliases state_key is not the sender's server (v1 rule 4.2)");
    }
    return {};  // 4.3
  }

  const json::object* power_levels_pdu = state("m.room.power_levels", "");
  const PowerLevels levels(content_of(power_levels_pdu), *create, rules);
  // 5 m.room.member.
  if (type == "m.room.member") {
    return internal::check_membership(pdu, state, levels, *create, rules);
  }
  // 6 If the sender's current membership state is not join, reject.
  if (membership_of(state("m.room.member", sender)) != "join") {
    return reject("sender is not joined to the room (rule 6)");
  }
  // 7 m.room.third_party_invite: allow iff the sender has the invite level.
  if (type == "m.room.third_party_invite") {
    if (levels.at_least(sender, levels.invite())) return {};
    return reject("sender lacks the invite level for m.room.third_party_invite (rule 7.1)");
  }
  // 8 If the event type's required power level is greater than the sender's, reject.
  const json::value* state_key = pdu.if_contains("state_key");
  if (!levels.at_least(sender, levels.event_level(type, state_key != nullptr))) {
    return reject("sender's power level is too low to send " + std::string(type) + " (rule 8)");
  }
  // 9 If the state_key starts with '@' and does not match the sender, reject.
  if (state_key && state_key->is_string() && state_key->get_string().starts_with("@") &&
      state_key->get_string() != sender) {
    return reject("state_key starting with '@' must be the sender (rule 9)");
  }
  // 10 m.room.power_levels.
  if (type == "m.room.power_levels") {
    return internal::check_power_levels(pdu, power_levels_pdu, levels, rules);
  }
  // v1/v2 rule 11 m.room.redaction: allow with the redact level, or when the redacted event's
  // ID has the redaction's event ID's server.
  if (rules.redactions_in_auth_rules && type == "m.room.redaction") {
    if (levels.at_least(sender, levels.redact())) return {};  // 11.1
    const std::optional<std::string> redacts = redacts_of(pdu, rules);
    const std::string_view redaction_server = server_of(string_field(pdu, "event_id"));
    if (redacts && !redaction_server.empty() && server_of(*redacts) == redaction_server) return {};  // 11.2
    return reject("sender lacks the redact level to redact another server's event (v1 rule 11.3)");
  }
  return {};  // 11 (v1/v2: 12) Otherwise, allow.
}

std::vector<std::pair<std::string, std::string>> auth_types_for_event(const json::object& pdu,
                                                                      const RoomVersionRules& rules) {
  std::vector<std::pair<std::string, std::string>> types;
  const std::string_view type = string_field(pdu, "type");
  if (type == "m.room.create") return types;
  auto add = [&types](std::string_view t, std::string_view key) {
    std::pair<std::string, std::string> entry{t, key};
    if (std::find(types.begin(), types.end(), entry) == types.end()) types.push_back(entry);
  };
  if (!rules.room_id_from_create_event) add("m.room.create", "");
  add("m.room.power_levels", "");
  add("m.room.member", string_field(pdu, "sender"));
  if (type != "m.room.member") return types;

  const json::value* state_key = pdu.if_contains("state_key");
  if (state_key && state_key->is_string()) add("m.room.member", state_key->get_string());
  const json::object* content = content_of(&pdu);
  const std::string_view membership = content ? string_field(*content, "membership") : "";
  if (membership == "join" || membership == "invite" || membership == "knock") {
    add("m.room.join_rules", "");
  }
  if (membership == "invite" && content) {
    const json::object* invite = internal::object_field(*content, "third_party_invite");
    const json::object* signed_ = invite ? internal::object_field(*invite, "signed") : nullptr;
    if (signed_ && signed_->if_contains("token") && signed_->at("token").is_string()) {
      add("m.room.third_party_invite", signed_->at("token").get_string());
    }
  }
  if (membership == "join" && content && rules.restricted_join_rule) {
    const std::string_view via = string_field(*content, "join_authorised_via_users_server");
    if (!via.empty()) add("m.room.member", via);
  }
  return types;
}

core::Status check_auth_events(const json::object& pdu, std::span<const json::object* const> auth_events,
                               const RoomVersionRules& rules) {
  if (string_field(pdu, "type") == "m.room.create") return {};
  const auto expected = auth_types_for_event(pdu, rules);
  std::set<std::pair<std::string, std::string>> seen;
  bool has_create = false;
  for (const json::object* event : auth_events) {
    const json::value* state_key = event ? event->if_contains("state_key") : nullptr;
    if (!state_key || !state_key->is_string()) {
      return reject("an auth event is not a state event (rule 3.2)");
    }
    std::pair<std::string, std::string> key{string_field(*event, "type"), state_key->get_string()};
    // 3.1 If there are duplicate entries for a given type and state_key pair, reject.
    if (!seen.insert(key).second) return reject("duplicate auth event " + key.first + " (rule 3.1)");
    // 3.2 If there are entries the auth events selection does not select, reject.
    if (std::find(expected.begin(), expected.end(), key) == expected.end()) {
      return reject("unexpected auth event " + key.first + " (rule 3.2)");
    }
    // 3.5 If any auth event has a room_id which does not match the event's, reject.
    if (string_field(*event, "room_id") != string_field(pdu, "room_id")) {
      return reject("auth event from another room (rule 3.5)");
    }
    has_create = has_create || key.first == "m.room.create";
  }
  // 2.4 (v10/v11) If there is no m.room.create event among the entries, reject.
  if (!rules.room_id_from_create_event && !has_create) {
    return reject("auth_events has no m.room.create event (rule 2.4)");
  }
  return {};
}

}  // namespace myelin::rooms
