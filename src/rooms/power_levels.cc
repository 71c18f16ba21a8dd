// PowerLevels (m.room.power_levels as the auth rules read it; defaults from the event schema
// and server-server-api.md "Definitions") and the redaction permission checks.
#include <algorithm>

#include "rooms/auth.h"
#include "rooms/auth_util.h"

namespace myelin::rooms {

using internal::object_field;

PowerLevels::PowerLevels(const json::object* power_levels, const json::object& create, const RoomVersionRules& rules)
    : content_(power_levels),
      creators_(internal::room_creators(create, rules)),
      rules_(rules),
      create_sender_(internal::string_field(create, "sender")) {}

std::optional<std::int64_t> PowerLevels::field(const json::object* object, std::string_view key) const {
  return internal::power_level_field(object, key, rules_);
}

bool PowerLevels::is_creator(std::string_view user_id) const {
  return std::find(creators_.begin(), creators_.end(), user_id) != creators_.end();
}

std::optional<std::int64_t> PowerLevels::user_level(std::string_view user_id) const {
  if (rules_.creators_have_infinite_power && is_creator(user_id)) return std::nullopt;
  if (!content_) return is_creator(user_id) ? 100 : 0;  // no power levels event: creator 100
  if (auto level = field(object_field(*content_, "users"), user_id)) return level;
  return field(content_, "users_default").value_or(0);
}

bool PowerLevels::at_least(std::string_view user_id, std::int64_t required) const {
  const std::optional<std::int64_t> level = user_level(user_id);
  return !level || *level >= required;
}

bool PowerLevels::outranks(std::string_view a, std::string_view b) const {
  const std::optional<std::int64_t> level_a = user_level(a);
  const std::optional<std::int64_t> level_b = user_level(b);
  if (!level_a) return level_b.has_value();  // infinite beats finite, not infinite
  return level_b && *level_a > *level_b;
}

std::int64_t PowerLevels::event_level(std::string_view type, bool is_state) const {
  if (content_) {
    if (auto level = field(object_field(*content_, "events"), type)) return *level;
  }
  if (is_state) return field(content_, "state_default").value_or(50);
  return field(content_, "events_default").value_or(0);
}

std::int64_t PowerLevels::invite() const { return field(content_, "invite").value_or(0); }
std::int64_t PowerLevels::kick() const { return field(content_, "kick").value_or(50); }
std::int64_t PowerLevels::ban() const { return field(content_, "ban").value_or(50); }
std::int64_t PowerLevels::redact() const { return field(content_, "redact").value_or(50); }

std::int64_t PowerLevels::notifications_room() const {
  const json::object* notifications = content_ ? object_field(*content_, "notifications") : nullptr;
  return field(notifications, "room").value_or(50);
}

bool may_redact(const PowerLevels& levels, std::string_view redaction_sender, std::string_view original_sender) {
  return redaction_sender == original_sender || levels.at_least(redaction_sender, levels.redact());
}

bool redaction_applies(const PowerLevels& levels, std::string_view redaction_sender, std::string_view original_sender) {
  return levels.at_least(redaction_sender, levels.redact()) ||
         internal::server_of(redaction_sender) == internal::server_of(original_sender);
}

}  // namespace myelin::rooms
