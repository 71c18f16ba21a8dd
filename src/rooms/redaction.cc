// The redaction algorithm: rooms/fragments/v1-redactions.md (room versions 1-5),
// v6-redactions.md (6, 7), v8.md (8), v9-redactions.md (9, 10) and v11-redactions.md (11,
// 12). The versions differ in the content keys kept, selected by the rules' flags.
#include <algorithm>
#include <array>
#include <span>
#include <string_view>

#include "rooms/event_format.h"

namespace myelin::rooms {
namespace {

using Keys = std::span<const std::string_view>;

// Top-level keys kept by the v1-v10 algorithm.
constexpr std::array<std::string_view, 15> kTopLevelV10{
    "event_id", "type",        "room_id",    "sender",      "state_key", "content",          "hashes",    "signatures",
    "depth",    "prev_events", "prev_state", "auth_events", "origin",    "origin_server_ts", "membership"};
// v11 no longer protects origin, membership and prev_state.
constexpr std::array<std::string_view, 12> kTopLevelV11{"event_id",  "type",        "room_id",     "sender",
                                                        "state_key", "content",     "hashes",      "signatures",
                                                        "depth",     "prev_events", "auth_events", "origin_server_ts"};

constexpr std::array<std::string_view, 1> kMemberV1{"membership"};
constexpr std::array<std::string_view, 2> kMemberV9{"membership", "join_authorised_via_users_server"};
constexpr std::array<std::string_view, 1> kCreateV10{"creator"};
constexpr std::array<std::string_view, 1> kJoinRulesV1{"join_rule"};
constexpr std::array<std::string_view, 2> kJoinRulesV8{"join_rule", "allow"};
constexpr std::array<std::string_view, 1> kAliases{"aliases"};
constexpr std::array<std::string_view, 8> kPowerLevelsV10{"ban",    "events",        "events_default", "kick",
                                                          "redact", "state_default", "users",          "users_default"};
constexpr std::array<std::string_view, 9> kPowerLevelsV11{
    "ban", "events", "events_default", "invite", "kick", "redact", "state_default", "users", "users_default"};
constexpr std::array<std::string_view, 1> kHistoryVisibility{"history_visibility"};
constexpr std::array<std::string_view, 1> kRedaction{"redacts"};

bool contains(Keys keys, std::string_view key) { return std::find(keys.begin(), keys.end(), key) != keys.end(); }

json::object keep_only(const json::object& object, Keys keys) {
  json::object out;
  for (const auto& kv : object) {
    if (contains(keys, kv.key())) out.emplace(kv.key(), kv.value());
  }
  return out;
}

// The content keys an event type keeps (v11's m.room.create, which keeps all, is handled by
// the caller).
Keys content_keys(std::string_view type, const RoomVersionRules& rules) {
  const bool v11 = rules.updated_redaction_rules;
  if (type == "m.room.member") return rules.redaction_keeps_join_authorised_via ? Keys{kMemberV9} : Keys{kMemberV1};
  if (type == "m.room.create") return v11 ? Keys{} : Keys{kCreateV10};
  if (type == "m.room.join_rules") {
    return rules.redaction_keeps_join_rules_allow ? Keys{kJoinRulesV8} : Keys{kJoinRulesV1};
  }
  if (type == "m.room.aliases" && rules.special_aliases_event) return kAliases;
  if (type == "m.room.power_levels") return v11 ? Keys{kPowerLevelsV11} : Keys{kPowerLevelsV10};
  if (type == "m.room.history_visibility") return kHistoryVisibility;
  if (type == "m.room.redaction" && v11) return kRedaction;
  return {};
}

json::object redact_content(std::string_view type, const json::object& content, const RoomVersionRules& rules) {
  if (rules.updated_redaction_rules && type == "m.room.create") return content;  // all keys
  json::object out = keep_only(content, content_keys(type, rules));
  // v11: m.room.member keeps third_party_invite, reduced to its "signed" key.
  if (rules.updated_redaction_rules && type == "m.room.member") {
    const json::value* invite = content.if_contains("third_party_invite");
    if (invite && invite->is_object()) {
      if (const json::value* signed_ = invite->get_object().if_contains("signed")) {
        out["third_party_invite"] = json::object{{"signed", *signed_}};
      }
    }
  }
  return out;
}

}  // namespace

json::object redact(const json::object& pdu, const RoomVersionRules& rules) {
  json::object out = keep_only(pdu, rules.updated_redaction_rules ? Keys{kTopLevelV11} : Keys{kTopLevelV10});
  if (json::value* content = out.if_contains("content")) {
    const json::value* type = pdu.if_contains("type");
    const std::string_view type_name =
        type && type->is_string() ? std::string_view(type->get_string()) : std::string_view();
    *content = content->is_object() ? redact_content(type_name, content->get_object(), rules) : json::object();
  }
  return out;
}

std::optional<std::string> redacts_of(const json::object& pdu, const RoomVersionRules& rules) {
  const json::object* holder = &pdu;
  if (rules.updated_redaction_rules) {
    const json::value* content = pdu.if_contains("content");
    if (!content || !content->is_object()) return std::nullopt;
    holder = &content->get_object();
  }
  const json::value* redacts = holder->if_contains("redacts");
  if (!redacts || !redacts->is_string()) return std::nullopt;
  return std::string(redacts->get_string());
}

}  // namespace myelin::rooms
