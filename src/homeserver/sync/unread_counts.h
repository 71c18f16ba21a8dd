#pragma once
// The notification and highlight counts of each (user, room), kept between syncs: a sync
// evaluates the push rules only for the events since the last count, not for every unread
// event again (a message in a room of 1,000 members wakes 1,000 syncs). So each event is
// judged by the rules once, when first counted — as a server that records push actions on an
// event's arrival does. In memory and bounded: a count not kept is made again from the events.
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

#include "storage/common.h"

namespace myelin::homeserver {

struct NotificationCounts {
  std::int64_t notifications = 0;
  std::int64_t highlights = 0;
};

class UnreadCounts {
 public:
  // Counts of the events in (after, upto], as the push rules judge them.
  using Evaluate = std::function<NotificationCounts(storage::StreamPos after, storage::StreamPos upto)>;

  // The counts of `user` in `room` for the events after `read_up_to` up to `now`. When the
  // kept count is for the same read position, only the events after it are evaluated.
  NotificationCounts get(const std::string& user, const std::string& room, storage::StreamPos read_up_to,
                         storage::StreamPos now, const Evaluate& evaluate);

  static constexpr std::size_t kMaxKept = 50'000;

 private:
  struct Kept {
    storage::StreamPos read_up_to = 0;
    storage::StreamPos counted_up_to = 0;
    NotificationCounts counts;
  };
  std::unordered_map<std::string, Kept> kept_;  // user '|' room
};

}  // namespace myelin::homeserver
