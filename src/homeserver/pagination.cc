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
  page.next = backwards ? upper : lower;
  // More means another event that passes the filter; look a bounded distance ahead for one,
  // and past that bound assume there is.
  constexpr std::size_t kLookahead = 500;
  std::size_t looked = 0;
  while (!page.more && lower < upper) {
    auto batch = store.room_events(room_id, lower, upper, 100, dir);
    if (batch.empty()) break;
    for (const auto& event : batch) page.more = page.more || filter.matches(event.type, event.sender);
    if (backwards) upper = batch.back().pos - 1; else lower = batch.back().pos;
    looked += batch.size();
    if (looked >= kLookahead) page.more = true;
  }
  return page;
}

}  // namespace myelin::homeserver
