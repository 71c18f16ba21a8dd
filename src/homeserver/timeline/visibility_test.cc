#include "homeserver/timeline/visibility.h"

#include <gtest/gtest.h>

namespace myelin::homeserver {
namespace {

using Ranges = std::vector<PosRange>;

// Positions in the rooms below: 1 create, 2 the creator's join, then what each test says.
Ranges visible(std::vector<StateChange> visibility, std::vector<StateChange> membership) {
  return compute_visible(visibility, membership).ranges();
}

TEST(VisibilityTest, JoinedThenSharedHidesWhatWasSentUnderJoined) {
  // 3 joined, 4 message, 5 shared, 6 message, 7 the user joins, 8 message.
  EXPECT_EQ(visible({{3, "joined"}, {5, "shared"}}, {{7, "join"}}), (Ranges{{0, 3}, {4, kNoEnd}}));
}

TEST(VisibilityTest, BackfilledHistoryBelowZeroFollowsItsChanges) {
  // Back-filled: -9 the visibility below the batch (shared), -8 create .. -6 joined, -5 .. -1
  // messages; 10 the user's join (the room's value then recorded with it).
  EXPECT_EQ(visible({{-9, "shared"}, {-6, "joined"}, {10, "joined"}}, {{10, "join"}}),
            (Ranges{{-10, -6}, {9, kNoEnd}}));
  // (-9 itself counts as a change "event", readable under the value before it; the room has no
  // event there.)
  EXPECT_EQ(visible({{-9, "joined"}, {10, "shared"}}, {{10, "join"}}), (Ranges{{-10, -9}, {9, kNoEnd}}));
  EXPECT_EQ(visible({{-9, "shared"}, {10, "shared"}}, {{10, "join"}}), (Ranges{{-10, kNoEnd}}));
}

TEST(VisibilityTest, SharedThenJoinedKeepsWhatWasShared) {
  // 3 shared, 4 message, 5 joined, 6 message, 7 the user joins.
  EXPECT_EQ(visible({{3, "shared"}, {5, "joined"}}, {{7, "join"}}), (Ranges{{0, 5}, {6, kNoEnd}}));
}

TEST(VisibilityTest, InvitedShowsFromTheInvite) {
  // 3 invited, 4 message, 5 the user is invited, 6 message, 7 they join.
  EXPECT_EQ(visible({{3, "invited"}}, {{5, "invite"}, {7, "join"}}), (Ranges{{0, 3}, {4, kNoEnd}}));
  // Under "joined" the invite shows nothing, not even the invite event.
  EXPECT_EQ(visible({{3, "joined"}}, {{5, "invite"}, {7, "join"}}), (Ranges{{0, 3}, {6, kNoEnd}}));
}

TEST(VisibilityTest, WorldReadableNeedsNoMembership) {
  // 3 world_readable, 4 message, 5 joined, 6 message: a stranger reads 3 to 5.
  EXPECT_EQ(visible({{3, "world_readable"}, {5, "joined"}}, {}), (Ranges{{2, 5}}));
  // Never world_readable and never joined: nothing.
  EXPECT_TRUE(visible({{3, "shared"}}, {}).empty());
}

TEST(VisibilityTest, LeaveAndRejoinUnderJoined) {
  // 3 joined, 4 join, 5 message, 6 leave, 7 message, 8 rejoin: the leave is theirs to see,
  // the message while away is not.
  EXPECT_EQ(visible({{3, "joined"}}, {{4, "join"}, {6, "leave"}, {8, "join"}}), (Ranges{{0, 6}, {7, kNoEnd}}));
}

TEST(VisibilityTest, SharedHistoryEndsAtTheLeave) {
  // 3 shared, 4 message, 5 join, 6 message, 7 leave, 8 message.
  EXPECT_EQ(visible({{3, "shared"}}, {{5, "join"}, {7, "leave"}}), (Ranges{{0, 7}}));
  // A ban ends it too.
  EXPECT_EQ(visible({{3, "shared"}}, {{5, "join"}, {7, "ban"}}), (Ranges{{0, 7}}));
}

TEST(VisibilityTest, HistoryVisibilityEventsOnBoundaries) {
  // 3 joined, 4 message, 5 invited, 6 message, 7 shared, 8 message, 9 join: the change to
  // joined is seen under the shared before it, the change to shared under itself; the change
  // to invited under neither.
  EXPECT_EQ(visible({{3, "joined"}, {5, "invited"}, {7, "shared"}}, {{9, "join"}}), (Ranges{{0, 3}, {6, kNoEnd}}));
}

TEST(VisibilityTest, OwnMembershipEventsUnderJoined) {
  // 3 joined, 4 join, 5 leave, 6 message: the join and the leave are theirs.
  EXPECT_EQ(visible({{3, "joined"}}, {{4, "join"}, {5, "leave"}}), (Ranges{{0, 5}}));
}

TEST(VisibilityTest, UnknownValueCountsAsShared) {
  EXPECT_EQ(visible({{3, "joined"}, {5, "something"}}, {{7, "join"}}), (Ranges{{0, 3}, {4, kNoEnd}}));
}

TEST(VisibilityTest, RangesCutAndLast) {
  const Visible v(Ranges{{0, 3}, {4, 10}, {20, kNoEnd}});
  EXPECT_TRUE(v.contains(3));
  EXPECT_FALSE(v.contains(4));
  EXPECT_TRUE(v.contains(21));
  EXPECT_EQ(v.within(2, 25), (Ranges{{2, 3}, {4, 10}, {20, 25}}));
  EXPECT_EQ(v.within(10, 20), Ranges{});
  EXPECT_EQ(v.last(15), 10);
  EXPECT_EQ(v.last(30), 30);
  EXPECT_EQ(Visible().last(30), 0);
  EXPECT_EQ(v.with({15, 11, 3, 30}).ranges(), (Ranges{{0, 3}, {4, 11}, {14, 15}, {20, kNoEnd}}));
}

}  // namespace
}  // namespace myelin::homeserver
