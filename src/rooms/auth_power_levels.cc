// Rule 10 (v1-v5: also 10; v6-v11: 9) of the authorization rules: m.room.power_levels
// events. Rule numbers are v12's; v10/v11 have no 10.4, so their 9.4..9.10 are v12's
// 10.5..10.11; v1-v9 have only 10.3 of 10.1-10.4 (as their 9.1/10.1), so their x.2..x.8 are
// v12's 10.5..10.11.
#include <array>
#include <set>
#include <string>

#include "core/ids.h"
#include "rooms/auth_steps.h"
#include "rooms/auth_util.h"

namespace myelin::rooms::internal {
namespace {

constexpr std::array<std::string_view, 7> kLevelKeys{"users_default", "events_default", "state_default", "ban",
                                                     "redact",        "kick",           "invite"};

// True when `value` is present and not an object whose values are all power levels.
bool bad_level_map(const json::value* value, const RoomVersionRules& rules) {
  if (!value) return false;
  if (!value->is_object()) return true;
  for (const auto& entry : value->get_object()) {
    if (!as_power_level(entry.value(), rules)) return true;
  }
  return false;
}

// The union of the keys of two maps (either may be null).
std::set<std::string> key_union(const json::object* a, const json::object* b) {
  std::set<std::string> keys;
  for (const json::object* map : {a, b}) {
    if (!map) continue;
    for (const auto& entry : *map) keys.emplace(entry.key());
  }
  return keys;
}

// Rules 10.1 - 10.4: the new content's shape.
core::Status check_shape(const json::object& content, const PowerLevels& levels, const RoomVersionRules& rules) {
  // 10.1 and 10.2 (v10+): the level keys, when present, must be integers, and events and
  // notifications objects of integers. Earlier versions check only users (10.3).
  if (rules.integer_power_levels) {
    for (std::string_view key : kLevelKeys) {
      const json::value* value = content.if_contains(key);
      if (value && !as_integer(*value)) {
        return reject("power level " + std::string(key) + " is not an integer (rule 10.1)");
      }
    }
    for (std::string_view key : {"events", "notifications"}) {
      if (bad_level_map(content.if_contains(key), rules)) {
        return reject(std::string(key) + " must be an object of integers (rule 10.2)");
      }
    }
  }
  // 10.3 users must map valid user IDs to integers (before v10: or strings holding one; before
  //      v6: or floats).
  if (const json::value* users = content.if_contains("users")) {
    if (bad_level_map(users, rules)) return reject("users must be an object of integers (rule 10.3)");
    for (const auto& entry : users->get_object()) {
      if (!core::UserId::parse(entry.key())) {
        return reject("users has a key that is not a user ID (rule 10.3)");
      }
      // 10.4 (v12) users must not list a room creator.
      if (rules.creators_have_infinite_power && levels.is_creator(entry.key())) {
        return reject("room creators cannot be listed in users (rule 10.4)");
      }
    }
  }
  return {};
}

}  // namespace

core::Status check_power_levels(const json::object& pdu, const json::object* previous, const PowerLevels& levels,
                                const RoomVersionRules& rules) {
  static const json::object kEmpty;
  const json::object* content_ptr = content_of(&pdu);
  const json::object& content = content_ptr ? *content_ptr : kEmpty;
  if (core::Status shape = check_shape(content, levels, rules); !shape) return shape;
  // 10.5 If there is no previous m.room.power_levels event in the room, allow.
  if (!previous) return {};
  const json::object* old_ptr = content_of(previous);
  const json::object& old = old_ptr ? *old_ptr : kEmpty;

  const std::string_view sender = string_field(pdu, "sender");
  const std::optional<std::int64_t> sender_level = levels.user_level(sender);  // nullopt: creator
  auto above_sender = [&](const std::optional<std::int64_t>& value) {
    return value && sender_level && *value > *sender_level;
  };

  // 10.6 Each altered level key: neither the current nor the new value may exceed the
  //      sender's level.
  for (std::string_view key : kLevelKeys) {
    const auto before = power_level_field(&old, key, rules);
    const auto after = power_level_field(&content, key, rules);
    if (before == after) continue;
    if (above_sender(before) || above_sender(after)) {
      return reject("cannot change " + std::string(key) + " beyond one's own level (rule 10.6)");
    }
  }
  // 10.7 / 10.8 events and (v6+) notifications entries.
  for (std::string_view map : {"events", "notifications"}) {
    if (map == "notifications" && !rules.notifications_in_power_level_rules) continue;
    const json::object* old_map = object_field(old, map);
    const json::object* new_map = object_field(content, map);
    for (const std::string& key : key_union(old_map, new_map)) {
      const auto before = power_level_field(old_map, key, rules);
      const auto after = power_level_field(new_map, key, rules);
      if (before == after) continue;
      // 10.7 changed or removed: the current value must not exceed the sender's level.
      if (above_sender(before)) {
        return reject("cannot change " + std::string(map) + "." + key + " from above one's own level (rule 10.7)");
      }
      // 10.8 added or changed: the new value must not exceed the sender's level.
      if (above_sender(after)) {
        return reject("cannot set " + std::string(map) + "." + key + " above one's own level (rule 10.8)");
      }
    }
  }
  // 10.9 / 10.10 users entries.
  const json::object* old_users = object_field(old, "users");
  const json::object* new_users = object_field(content, "users");
  for (const std::string& user : key_union(old_users, new_users)) {
    const auto before = power_level_field(old_users, user, rules);
    const auto after = power_level_field(new_users, user, rules);
    if (before == after) continue;
    // 10.9 Changing or removing another user's level needs a level above theirs.
    if (user != sender && before && sender_level && *before >= *sender_level) {
      return reject("cannot change the level of " + user + ", whose level is not below one's own (rule 10.9)");
    }
    // 10.10 A new value must not exceed the sender's level.
    if (above_sender(after)) {
      return reject("cannot raise " + user + " above one's own level (rule 10.10)");
    }
  }
  return {};  // 10.11 Otherwise, allow.
}

}  // namespace myelin::rooms::internal
