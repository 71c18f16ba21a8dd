#include "homeserver/sync/unread_counts.h"

#include <algorithm>

namespace myelin::homeserver {

storage::StreamPos ReadPositions::read_up_to(const std::string& thread_id) const {
  if (thread_id.empty()) return std::max(room, main);
  auto it = threads.find(thread_id);
  return it == threads.end() ? room : std::max(room, it->second);
}

NotificationCounts RoomUnread::total() const {
  NotificationCounts sum = main;
  for (const auto& [thread, counts] : threads) sum += counts;
  return sum;
}

RoomUnread UnreadCounts::get(const std::string& user, const std::string& room, const ReadPositions& reads,
                             storage::StreamPos now, const Evaluate& evaluate) {
  const std::string key = user + '|' + room;
  auto it = kept_.find(key);
  if (it != kept_.end() && it->second.reads == reads && it->second.counted_up_to <= now) {
    Kept& kept = it->second;
    if (kept.counted_up_to < now) {
      evaluate(kept.counted_up_to, now, reads, kept.counts);
      kept.counted_up_to = now;
    }
    return kept.counts;
  }
  // Every read position is at or after `room`: the events after it are all that may be unread.
  RoomUnread counts;
  evaluate(reads.room, now, reads, counts);
  if (it == kept_.end() && kept_.size() >= kMaxKept) kept_.clear();
  kept_[key] = Kept{reads, now, counts};
  return counts;
}

const std::vector<CountedEvent>& UnreadCounts::range(const std::string& room, storage::StreamPos after,
                                                     storage::StreamPos upto, const Fetch& fetch) {
  if (range_.room != room || range_.after != after || range_.upto != upto) range_ = Range{room, after, upto, fetch()};
  return range_.events;
}

}  // namespace myelin::homeserver
