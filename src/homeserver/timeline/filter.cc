#include "homeserver/timeline/filter.h"

#include <algorithm>
#include <tuple>

#include "core/ids.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

// The spec's wildcard: '*' matches any sequence of characters.
bool glob_match(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern.front() == '*') {
    for (std::size_t i = 0; i <= text.size(); ++i)
      if (glob_match(pattern.substr(1), text.substr(i))) return true;
    return false;
  }
  return !text.empty() && pattern.front() == text.front() && glob_match(pattern.substr(1), text.substr(1));
}

bool any_match(const std::vector<std::string>& patterns, std::string_view value, bool wildcards) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return wildcards ? glob_match(p, value) : p == value; });
}

bool is_user_id(std::string_view text) { return core::UserId::parse(text).has_value(); }

// The list `key` of strings, each one `valid` says is (a room ID, a user ID) when given.
core::Status string_list(const json::object& object, std::string_view key, std::optional<std::vector<std::string>>& out,
                         bool (*valid)(std::string_view) = nullptr) {
  auto value = object.if_contains(key);
  if (!value) return {};
  if (!value->is_array()) return core::fail(Errc::kBadJson, std::string(key) + " must be an array");
  out.emplace();
  for (const auto& item : value->get_array()) {
    if (!item.is_string()) return core::fail(Errc::kBadJson, std::string(key) + " must hold strings");
    if (valid && !valid(item.get_string()))
      return core::fail(Errc::kInvalidParam, std::string(key) + " holds something that is no " +
                                                 (valid == is_user_id ? "user ID" : "room ID"));
    out->emplace_back(item.get_string());
  }
  return {};
}

core::Result<bool> flag(const json::object& object, std::string_view key) {
  auto value = object.if_contains(key);
  if (!value) return false;
  if (!value->is_bool()) return core::fail(Errc::kBadJson, std::string(key) + " must be a boolean");
  return value->get_bool();
}

core::Result<EventFilter> parse_section(const json::value* value, std::int64_t default_limit) {
  if (!value) {
    EventFilter defaults;
    defaults.limit = default_limit;
    return defaults;
  }
  if (!value->is_object()) return core::fail(Errc::kBadJson, "filter sections must be objects");
  return parse_event_filter(value->get_object(), default_limit);
}

}  // namespace

bool EventFilter::matches(std::string_view type, std::string_view sender) const {
  if (not_types && any_match(*not_types, type, true)) return false;
  if (types && !any_match(*types, type, true)) return false;
  if (not_senders && any_match(*not_senders, sender, false)) return false;
  if (senders && !any_match(*senders, sender, false)) return false;
  return true;
}

bool EventFilter::shows(std::string_view type, std::string_view sender, bool state_event) const {
  if (ignored && !state_event && ignored->contains(sender)) return false;
  return matches(type, sender);
}

bool EventFilter::matches_room(std::string_view room_id) const {
  if (not_rooms && any_match(*not_rooms, room_id, false)) return false;
  return !rooms || any_match(*rooms, room_id, false);
}

bool RoomFilter::matches_room(std::string_view room_id) const {
  if (not_rooms && any_match(*not_rooms, room_id, false)) return false;
  return !rooms || any_match(*rooms, room_id, false);
}

core::Result<EventFilter> parse_event_filter(const json::object& definition, std::int64_t default_limit) {
  EventFilter filter;
  filter.limit = default_limit;
  if (auto limit = definition.if_contains("limit")) {
    if (!limit->is_int64() && !limit->is_uint64()) return core::fail(Errc::kBadJson, "limit must be an integer");
    filter.limit = std::clamp<std::int64_t>(limit->to_number<std::int64_t>(), 0, 1000);
  }
  using Valid = bool (*)(std::string_view);
  for (auto [key, out, valid] : {std::tuple{"types", &filter.types, Valid{}},
                                 {"not_types", &filter.not_types, Valid{}},
                                 {"senders", &filter.senders, Valid{is_user_id}},
                                 {"not_senders", &filter.not_senders, Valid{is_user_id}},
                                 {"rooms", &filter.rooms, Valid{core::is_valid_room_id}},
                                 {"not_rooms", &filter.not_rooms, Valid{core::is_valid_room_id}}})
    if (auto ok = string_list(definition, key, *out, valid); !ok) return std::unexpected(ok.error());
  for (auto [key, out] : {std::pair{"lazy_load_members", &filter.lazy_load_members},
                          {"include_redundant_members", &filter.include_redundant_members},
                          {"unread_thread_notifications", &filter.unread_thread_notifications}}) {
    auto value = flag(definition, key);
    if (!value) return std::unexpected(value.error());
    *out = *value;
  }
  return filter;
}

core::Result<Filter> Filter::parse(const json::object& definition) {
  Filter filter;
  auto account_data = parse_section(definition.if_contains("account_data"), 100);
  auto presence = parse_section(definition.if_contains("presence"), 100);
  if (!account_data) return std::unexpected(account_data.error());
  if (!presence) return std::unexpected(presence.error());
  filter.account_data = *account_data;
  filter.presence = *presence;
  if (const json::value* format = definition.if_contains("event_format")) {
    if (!format->is_string() || (format->get_string() != "client" && format->get_string() != "federation"))
      return core::fail(Errc::kBadJson, "event_format must be client or federation");
    filter.federation_format = format->get_string() == "federation";
  }
  if (auto room = definition.if_contains("room")) {
    if (!room->is_object()) return core::fail(Errc::kBadJson, "room must be an object");
    const auto& r = room->get_object();
    if (auto ok = string_list(r, "rooms", filter.room.rooms, core::is_valid_room_id); !ok)
      return std::unexpected(ok.error());
    if (auto ok = string_list(r, "not_rooms", filter.room.not_rooms, core::is_valid_room_id); !ok)
      return std::unexpected(ok.error());
    auto include_leave = flag(r, "include_leave");
    if (!include_leave) return std::unexpected(include_leave.error());
    filter.room.include_leave = *include_leave;
    for (auto [key, out, limit] : {std::tuple{"timeline", &filter.room.timeline, 10},
                                   {"state", &filter.room.state, 1000},
                                   {"ephemeral", &filter.room.ephemeral, 100},
                                   {"account_data", &filter.room.account_data, 100}}) {
      auto section = parse_section(r.if_contains(key), limit);
      if (!section) return std::unexpected(section.error());
      *out = *section;
    }
  }
  return filter;
}

}  // namespace myelin::homeserver
