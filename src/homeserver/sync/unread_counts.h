#pragma once
// The notification and highlight counts of each (user, room), kept between syncs: a sync
// evaluates the push rules only for the events since the last count, not for every unread
// event again (a message in a room of 1,000 members wakes 1,000 syncs). So each event is
// judged by the rules once, when first counted — as a server that records push actions on an
// event's arrival does. In memory and bounded: a count not kept is made again from the events.
// Counts are per thread (client-server-api "Receiving notifications", "Threaded read
// receipts"): the main timeline and each thread root, each read up to its own receipts.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/json.h"
#include "storage/common.h"

namespace myelin::homeserver {

struct NotificationCounts {
  std::int64_t notifications = 0;
  std::int64_t highlights = 0;
  NotificationCounts& operator+=(const NotificationCounts& other) {
    notifications += other.notifications;
    highlights += other.highlights;
    return *this;
  }
};

// Where a user has read a room up to: `room` by unthreaded receipts (or their membership),
// `main` and `threads` by threaded ones. An event of thread T is read when at or before
// max(room, threads[T]), one of the main timeline when at or before max(room, main).
struct ReadPositions {
  storage::StreamPos room = 0;
  storage::StreamPos main = 0;
  std::map<std::string, storage::StreamPos> threads;
  // thread_id "" is the main timeline.
  storage::StreamPos read_up_to(const std::string& thread_id) const;
  bool operator==(const ReadPositions&) const = default;
};

struct RoomUnread {
  NotificationCounts main;
  std::map<std::string, NotificationCounts> threads;  // thread root -> counts (only those counted)
  // Counted into the main timeline ("") or a thread.
  NotificationCounts& of(const std::string& thread_id) { return thread_id.empty() ? main : threads[thread_id]; }
  NotificationCounts total() const;
};

// An event of a counted range as the push rules judge it: parsed, with its thread ("" for the
// main timeline).
struct CountedEvent {
  storage::StreamPos pos = 0;
  std::string sender;
  json::object pdu;
  std::string thread_id;
};

class UnreadCounts {
 public:
  using Fetch = std::function<std::vector<CountedEvent>()>;
  // The events of `room` in (after, upto] as `fetch` reads them, or as it read them for the
  // newest range asked for when it is the same: the syncs one message wakes all count the same
  // range, and read and parse it once. `upto` must be the stream's current position: a range up
  // to it does not change while it is current (whatever rewrites stored events is a write, and
  // moves the position first).
  const std::vector<CountedEvent>& range(const std::string& room, storage::StreamPos after, storage::StreamPos upto,
                                         const Fetch& fetch);

  // Adds to `counts` the events in (after, upto] that `reads` leave unread, as the push rules
  // judge them.
  using Evaluate = std::function<void(storage::StreamPos after, storage::StreamPos upto, const ReadPositions& reads,
                                      RoomUnread& counts)>;

  // The counts of `user` in `room` for the events after `reads` up to `now`. When the kept
  // counts are for the same read positions, only the events after them are evaluated.
  RoomUnread get(const std::string& user, const std::string& room, const ReadPositions& reads, storage::StreamPos now,
                 const Evaluate& evaluate);

  static constexpr std::size_t kMaxKept = 50'000;

 private:
  struct Kept {
    ReadPositions reads;
    storage::StreamPos counted_up_to = 0;
    RoomUnread counts;
  };
  std::unordered_map<std::string, Kept> kept_;  // user '|' room
  struct Range {
    std::string room;
    storage::StreamPos after = -1, upto = -1;
    std::vector<CountedEvent> events;
  };
  Range range_;  // the newest range read
};

}  // namespace myelin::homeserver
