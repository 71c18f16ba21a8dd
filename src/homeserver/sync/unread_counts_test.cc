#include "homeserver/sync/unread_counts.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace myelin::homeserver {
namespace {

// Every event notifies; events at even positions also highlight. Records the ranges asked.
struct Events {
  std::vector<std::pair<storage::StreamPos, storage::StreamPos>> asked;
  UnreadCounts::Evaluate evaluate() {
    return [this](storage::StreamPos after, storage::StreamPos upto) {
      asked.emplace_back(after, upto);
      NotificationCounts counts;
      for (auto pos = after + 1; pos <= upto; ++pos) {
        ++counts.notifications;
        counts.highlights += pos % 2 == 0;
      }
      return counts;
    };
  }
};

TEST(UnreadCountsTest, ASyncEvaluatesOnlyTheEventsSinceTheLastCount) {
  UnreadCounts unread;
  Events events;
  auto counts = unread.get("@a:x", "!r:x", 10, 20, events.evaluate());
  EXPECT_EQ(counts.notifications, 10);
  EXPECT_EQ(counts.highlights, 5);
  counts = unread.get("@a:x", "!r:x", 10, 23, events.evaluate());
  EXPECT_EQ(counts.notifications, 13);
  EXPECT_EQ(counts.highlights, 6);
  counts = unread.get("@a:x", "!r:x", 10, 23, events.evaluate());  // nothing new: nothing evaluated
  EXPECT_EQ(counts.notifications, 13);
  const std::vector<std::pair<storage::StreamPos, storage::StreamPos>> expected{{10, 20}, {20, 23}};
  EXPECT_EQ(events.asked, expected);
}

TEST(UnreadCountsTest, AMovedReadPositionCountsAgainFromThere) {
  UnreadCounts unread;
  Events events;
  unread.get("@a:x", "!r:x", 10, 20, events.evaluate());
  const auto counts = unread.get("@a:x", "!r:x", 18, 20, events.evaluate());
  EXPECT_EQ(counts.notifications, 2);
  EXPECT_EQ(events.asked.back(), std::make_pair(storage::StreamPos{18}, storage::StreamPos{20}));
  // Kept apart per user and per room.
  EXPECT_EQ(unread.get("@b:x", "!r:x", 0, 20, events.evaluate()).notifications, 20);
  EXPECT_EQ(unread.get("@a:x", "!s:x", 19, 20, events.evaluate()).notifications, 1);
}

}  // namespace
}  // namespace myelin::homeserver
