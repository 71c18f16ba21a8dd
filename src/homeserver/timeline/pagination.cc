#include "homeserver/timeline/pagination.h"

#include <algorithm>

namespace myelin::homeserver {

Page filtered_events(storage::EventStore& store, const std::string& room_id, std::vector<PosRange> ranges,
                     std::size_t limit, storage::Direction dir, const EventFilter& filter) {
  Page page;
  const bool backwards = dir == storage::Direction::kBackward;
  if (backwards) std::reverse(ranges.begin(), ranges.end());
  // The far end of the ranges in reading order, where a reader that used them all up stands
  // (taken before the reads below narrow the ranges).
  const storage::StreamPos far_end = ranges.empty() ? 0 : backwards ? ranges.back().lower : ranges.back().upper;
  // Reads up to `want` events from the range at `r` onwards in reading order, narrowing the
  // range past what was read and moving `r` past the ranges it used up.
  std::size_t r = 0;
  auto read = [&](std::size_t want) {
    std::vector<storage::StoredEvent> batch;
    while (batch.empty() && r < ranges.size()) {
      PosRange& range = ranges[r];
      if (range.lower < range.upper) batch = store.room_events(room_id, range.lower, range.upper, want, dir);
      if (batch.empty() || batch.size() < want) {
        range.lower = range.upper;
        ++r;
      } else if (backwards) {
        range.upper = batch.back().pos - 1;
      } else {
        range.lower = batch.back().pos;
      }
    }
    return batch;
  };
  while (page.events.size() < limit && r < ranges.size())
    for (auto& event : read(limit - page.events.size()))
      if (filter.shows(event.type, event.sender, event.state_key.has_value())) page.events.push_back(std::move(event));
  page.next = r < ranges.size() ? (backwards ? ranges[r].upper : ranges[r].lower) : far_end;
  // More means another event that passes the filter; look a bounded distance ahead for one,
  // and past that bound assume there is.
  constexpr std::size_t kLookahead = 500;
  std::size_t looked = 0;
  while (!page.more && r < ranges.size()) {
    auto batch = read(100);
    for (const auto& event : batch)
      page.more = page.more || filter.shows(event.type, event.sender, event.state_key.has_value());
    looked += batch.size();
    if (looked >= kLookahead) page.more = true;
  }
  return page;
}

}  // namespace myelin::homeserver
