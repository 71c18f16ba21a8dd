#include "homeserver/timeline/pagination.h"

#include <gtest/gtest.h>

#include "storage/store.h"

namespace myelin::homeserver {
namespace {

// A room with events of alternating types: even positions m.room.message, odd ones m.other.
std::unique_ptr<storage::Store> room_with_events(int count) {
  auto store = storage::open_sqlite_store({":memory:", false});
  std::vector<storage::NewEvent> events;
  for (int i = 0; i < count; ++i) {
    storage::NewEvent e;
    e.event_id = "$e" + std::to_string(i);
    e.room_id = "!r:x";
    e.type = i % 2 == 0 ? "m.room.message" : "m.other";
    e.sender = "@a:x";
    e.json = "{}";
    e.state_group_before = 0;
    events.push_back(std::move(e));
  }
  store->persist_events(events, storage::RoomRecord{"!r:x", "12", "@a:x", false});
  return store;
}

EventFilter messages_only() {
  EventFilter filter;
  filter.types = std::vector<std::string>{"m.room.message"};
  return filter;
}

TEST(PaginationTest, FillsTheLimitThroughTheFilter) {
  auto store = room_with_events(20);
  Page page =
      filtered_events(*store, "!r:x", {{0, store->current_pos()}}, 5, storage::Direction::kBackward, messages_only());
  ASSERT_EQ(page.events.size(), 5u);
  for (const auto& event : page.events) EXPECT_EQ(event.type, "m.room.message");
  EXPECT_EQ(page.events.front().event_id, "$e18");
  EXPECT_TRUE(page.more);
  Page rest = filtered_events(*store, "!r:x", {{0, page.next}}, 100, storage::Direction::kBackward, messages_only());
  EXPECT_EQ(rest.events.size(), 5u);
  EXPECT_FALSE(rest.more);
  EXPECT_EQ(rest.next, 0);  // read to the bottom of the range
}

TEST(PaginationTest, MoreOnlyWhenAnotherEventPassesTheFilter) {
  auto store = room_with_events(3);  // message, other, message
  Page page =
      filtered_events(*store, "!r:x", {{0, store->current_pos()}}, 2, storage::Direction::kBackward, messages_only());
  EXPECT_EQ(page.events.size(), 2u);
  EXPECT_FALSE(page.more);  // only an m.other is left, which the filter drops
  Page forward =
      filtered_events(*store, "!r:x", {{0, store->current_pos()}}, 1, storage::Direction::kForward, messages_only());
  ASSERT_EQ(forward.events.size(), 1u);
  EXPECT_EQ(forward.events.front().event_id, "$e0");
  EXPECT_TRUE(forward.more);
}

TEST(PaginationTest, FillsTheLimitAcrossUnreadableGaps) {
  auto store = room_with_events(20);  // positions 1..20, $e0..$e19
  const std::vector<PosRange> ranges{{0, 4}, {10, 12}, {16, 20}};
  Page page = filtered_events(*store, "!r:x", ranges, 6, storage::Direction::kBackward, EventFilter{});
  ASSERT_EQ(page.events.size(), 6u);
  EXPECT_EQ(page.events.front().event_id, "$e19");
  EXPECT_EQ(page.events[4].event_id, "$e11");
  EXPECT_EQ(page.events.back().event_id, "$e10");
  EXPECT_TRUE(page.more);
  // Continuing from the token reads the oldest range, and nothing in the gaps.
  std::vector<PosRange> rest_ranges{{0, 4}, {10, page.next}};
  Page rest = filtered_events(*store, "!r:x", rest_ranges, 100, storage::Direction::kBackward, EventFilter{});
  ASSERT_EQ(rest.events.size(), 4u);
  EXPECT_EQ(rest.events.front().event_id, "$e3");
  EXPECT_FALSE(rest.more);
  EXPECT_EQ(rest.next, 0);
  Page forward = filtered_events(*store, "!r:x", ranges, 5, storage::Direction::kForward, EventFilter{});
  ASSERT_EQ(forward.events.size(), 5u);
  EXPECT_EQ(forward.events.back().event_id, "$e10");
  EXPECT_TRUE(forward.more);
  Page all_forward = filtered_events(*store, "!r:x", ranges, 100, storage::Direction::kForward, EventFilter{});
  EXPECT_FALSE(all_forward.more);
  EXPECT_EQ(all_forward.next, 20);
}

}  // namespace
}  // namespace myelin::homeserver
