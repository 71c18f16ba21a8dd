#include "homeserver/pagination.h"

namespace myelin::homeserver {

Page filtered_events(storage::Store& store, const std::string& room_id, storage::StreamPos lower,
                     storage::StreamPos upper, std::size_t limit, storage::Direction dir,
                     const EventFilter& filter) {
  Page page;
  const bool backwards = dir == storage::Direction::kBackward;
  while (page.events.size() < limit && lower < upper) {
    const std::size_t want = limit - page.events.size();
    auto batch = store.room_events(room_id, lower, upper, want, dir);
    if (batch.empty()) {
      lower = upper;
      break;
    }
    if (backwards) upper = batch.back().pos - 1; else lower = batch.back().pos;
    const bool exhausted = batch.size() < want;
    for (auto& event : batch)
      if (filter.matches(event.type, event.sender)) page.events.push_back(std::move(event));
    if (exhausted) {
      lower = upper;
      break;
    }
  }
  page.more = lower < upper && !store.room_events(room_id, lower, upper, 1, dir).empty();
  page.next = backwards ? upper : lower;
  return page;
}

}  // namespace myelin::homeserver
