#pragma once
// Small readings of a PDU shared by the federation domain's files (lenient: a field of the
// wrong shape reads as empty or 0; received PDUs were checked by rooms::check_pdu_format).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "rooms/event_format.h"
#include "rooms/room_version.h"

namespace myelin::homeserver {

// The event IDs of prev_events or auth_events, owned.
inline std::vector<std::string> ids_in(const json::object& pdu, std::string_view key,
                                       const rooms::RoomVersionRules& rules) {
  std::vector<std::string> ids;
  for (std::string_view id : rooms::referenced_event_ids(pdu, key, rules)) ids.emplace_back(id);
  return ids;
}

inline std::int64_t depth_of(const json::object& pdu) {
  const json::value* depth = pdu.if_contains("depth");
  return depth && depth->is_int64() ? depth->get_int64() : 0;
}

}  // namespace myelin::homeserver
