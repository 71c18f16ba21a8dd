#pragma once
// Reading a room's events through an event filter: the store pages by position, the filter
// drops events, and this keeps fetching until `limit` events passed or the range ran out.
// Shared by /sync timelines and /messages.
#include <vector>

#include "homeserver/filter.h"
#include "storage/store.h"

namespace myelin::homeserver {

struct Page {
  std::vector<storage::StoredEvent> events;  // nearest the starting end first
  bool more = false;                         // events in the range were left unread
  storage::StreamPos next = 0;               // where to continue (exclusive bound)
};

// Events of the room with lower < pos <= upper that pass `filter`, at most `limit`, starting at
// upper (kBackward) or lower (kForward).
Page filtered_events(storage::Store& store, const std::string& room_id, storage::StreamPos lower,
                     storage::StreamPos upper, std::size_t limit, storage::Direction dir,
                     const EventFilter& filter);

}  // namespace myelin::homeserver
