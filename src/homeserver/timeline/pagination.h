#pragma once
// Reading a room's events through an event filter: the store pages by position, the filter
// drops events, and this keeps fetching until `limit` events passed or the ranges ran out.
// The ranges are those the user may read (homeserver/timeline/visibility.h), cut to the request.
// Shared by /sync timelines, /messages and /context.
#include <vector>

#include "homeserver/timeline/filter.h"
#include "homeserver/timeline/visibility.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

struct Page {
  std::vector<storage::StoredEvent> events;  // nearest the starting end first
  bool more = false;                         // events in the ranges were left unread
  // Where to continue: the bound of the unread part (positions <= next backwards, > next
  // forwards); when every range was read, the far end of the ranges (the lower bound of the
  // first backwards, the upper bound of the last forwards; 0 for no ranges).
  storage::StreamPos next = 0;
};

// Events of the room in `ranges` (ascending, disjoint) that pass `filter`, at most `limit`,
// starting at the top of the last range (kBackward) or the bottom of the first (kForward).
Page filtered_events(storage::EventStore& store, const std::string& room_id, std::vector<PosRange> ranges,
                     std::size_t limit, storage::Direction dir, const EventFilter& filter);

}  // namespace myelin::homeserver
