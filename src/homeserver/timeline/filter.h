#pragma once
// Event filters (client-server-api "Filtering"): parsed once from the stored or inline JSON,
// then applied by /sync and /messages.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/json.h"

namespace myelin::homeserver {

struct EventFilter {
  std::int64_t limit = 10;
  std::optional<std::vector<std::string>> types, not_types, senders, not_senders;
  std::optional<std::vector<std::string>> rooms, not_rooms;  // RoomEventFilter only
  bool lazy_load_members = false;
  bool include_redundant_members = false;
  // The reader's ignored users (timeline/ignored_users.h), whose non-state events are hidden;
  // set by the reader of a timeline, never by a filter definition.
  std::shared_ptr<const std::set<std::string, std::less<>>> ignored;
  bool unread_thread_notifications = false;  // RoomEventFilter, read by /sync from the timeline filter
  bool matches(std::string_view type, std::string_view sender) const;
  // matches(), and not a non-state event of an ignored user.
  bool shows(std::string_view type, std::string_view sender, bool state_event) const;
  bool matches_room(std::string_view room_id) const;
};

struct RoomFilter {
  std::optional<std::vector<std::string>> rooms, not_rooms;
  bool include_leave = false;
  EventFilter timeline, state, ephemeral, account_data;
  bool matches_room(std::string_view room_id) const;
};

struct Filter {
  EventFilter account_data, presence;
  RoomFilter room;
  // event_format "federation": room events as their PDUs (with event_id and unsigned) rather
  // than client events.
  bool federation_format = false;
  // M_BAD_JSON when a field has the wrong type.
  static core::Result<Filter> parse(const json::object& definition);
};

// Parses a RoomEventFilter (the `filter` parameter of /messages).
core::Result<EventFilter> parse_event_filter(const json::object& definition, std::int64_t default_limit);

}  // namespace myelin::homeserver
