#include "homeserver/sync/unread_counts.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace myelin::homeserver {
namespace {

// Every event notifies; events at even positions also highlight; events at positions that are
// multiples of 5 are in thread "$t". Records the ranges asked.
struct Events {
  std::vector<std::pair<storage::StreamPos, storage::StreamPos>> asked;
  UnreadCounts::Evaluate evaluate() {
    return [this](storage::StreamPos after, storage::StreamPos upto, const ReadPositions& reads, RoomUnread& counts) {
      asked.emplace_back(after, upto);
      for (auto pos = after + 1; pos <= upto; ++pos) {
        const std::string thread = pos % 5 == 0 ? "$t" : "";
        if (pos <= reads.read_up_to(thread)) continue;
        NotificationCounts& into = counts.of(thread);
        ++into.notifications;
        into.highlights += pos % 2 == 0;
      }
    };
  }
};

ReadPositions read_to(storage::StreamPos room) { return ReadPositions{room, 0, {}}; }

TEST(UnreadCountsTest, ASyncEvaluatesOnlyTheEventsSinceTheLastCount) {
  UnreadCounts unread;
  Events events;
  auto counts = unread.get("@a:x", "!r:x", read_to(10), 20, events.evaluate()).total();
  EXPECT_EQ(counts.notifications, 10);
  EXPECT_EQ(counts.highlights, 5);
  counts = unread.get("@a:x", "!r:x", read_to(10), 23, events.evaluate()).total();
  EXPECT_EQ(counts.notifications, 13);
  EXPECT_EQ(counts.highlights, 6);
  counts = unread.get("@a:x", "!r:x", read_to(10), 23, events.evaluate()).total();  // nothing new: nothing evaluated
  EXPECT_EQ(counts.notifications, 13);
  const std::vector<std::pair<storage::StreamPos, storage::StreamPos>> expected{{10, 20}, {20, 23}};
  EXPECT_EQ(events.asked, expected);
}

TEST(UnreadCountsTest, AMovedReadPositionCountsAgainFromThere) {
  UnreadCounts unread;
  Events events;
  unread.get("@a:x", "!r:x", read_to(10), 20, events.evaluate());
  const auto counts = unread.get("@a:x", "!r:x", read_to(18), 20, events.evaluate()).total();
  EXPECT_EQ(counts.notifications, 2);
  EXPECT_EQ(events.asked.back(), std::make_pair(storage::StreamPos{18}, storage::StreamPos{20}));
  // Kept apart per user and per room.
  EXPECT_EQ(unread.get("@b:x", "!r:x", read_to(0), 20, events.evaluate()).total().notifications, 20);
  EXPECT_EQ(unread.get("@a:x", "!s:x", read_to(19), 20, events.evaluate()).total().notifications, 1);
}

TEST(UnreadCountsTest, ThreadedReceiptsClearTheirThreadOnly) {
  UnreadCounts unread;
  Events events;
  // Events 1..20: 5, 10, 15, 20 in the thread, the other 16 in the main timeline.
  RoomUnread counts = unread.get("@a:x", "!r:x", read_to(0), 20, events.evaluate());
  EXPECT_EQ(counts.main.notifications, 16);
  EXPECT_EQ(counts.threads["$t"].notifications, 4);
  // A receipt in the thread at 15 leaves only 20 unread there; the main timeline is untouched.
  ReadPositions reads = read_to(0);
  reads.threads["$t"] = 15;
  counts = unread.get("@a:x", "!r:x", reads, 20, events.evaluate());
  EXPECT_EQ(counts.main.notifications, 16);
  EXPECT_EQ(counts.threads["$t"].notifications, 1);
  // A main-timeline receipt at 12 clears main events up to 12, not the thread's.
  reads.main = 12;
  counts = unread.get("@a:x", "!r:x", reads, 20, events.evaluate());
  EXPECT_EQ(counts.main.notifications, 6);  // 13, 14, 16, 17, 18, 19
  EXPECT_EQ(counts.threads["$t"].notifications, 1);
  // Kept: a new event in the thread adds to it alone.
  counts = unread.get("@a:x", "!r:x", reads, 25, events.evaluate());
  EXPECT_EQ(counts.main.notifications, 10);
  EXPECT_EQ(counts.threads["$t"].notifications, 2);
  EXPECT_EQ(events.asked.back(), std::make_pair(storage::StreamPos{20}, storage::StreamPos{25}));
  // An unthreaded receipt reads everything up to it, threads included.
  reads.room = 25;
  counts = unread.get("@a:x", "!r:x", reads, 25, events.evaluate());
  EXPECT_EQ(counts.total().notifications, 0);
}

// The syncs one message wakes read its range once; another range, room or position reads again.
TEST(UnreadCountsTest, TheNewestRangeIsReadOnce) {
  UnreadCounts unread;
  int reads = 0;
  auto fetch = [&reads] {
    ++reads;
    return std::vector<CountedEvent>{{7, "@b:x", json::object{{"type", "m.room.message"}}, ""}};
  };
  for (int sync = 0; sync < 3; ++sync) {
    const auto& events = unread.range("!r:x", 6, 7, fetch);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events.front().sender, "@b:x");
  }
  EXPECT_EQ(reads, 1);
  unread.range("!r:x", 6, 8, fetch);  // a later position
  unread.range("!r:x", 5, 8, fetch);  // a longer range
  unread.range("!s:x", 5, 8, fetch);  // another room
  EXPECT_EQ(reads, 4);
  unread.range("!s:x", 5, 8, fetch);
  EXPECT_EQ(reads, 4);
}

}  // namespace
}  // namespace myelin::homeserver
