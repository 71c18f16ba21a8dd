#include "homeserver/moderation/reports.h"

#include <gtest/gtest.h>

#include "homeserver/timeline/test_support.h"

namespace myelin::homeserver {
namespace {

struct ReportsTest : ::testing::Test {
  ModerationOptions config;
  TimelineOptions timeline_config;
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  core::SigningKey key = core::SigningKey::generate("test");
  testing::SendPath send{timeline_config, *store, key};
  Reports reports{config, *store, *store, *store, send.rooms};
  const core::RoomId room = testing::id<core::RoomId>("!room:localhost");
  const core::RoomId other = testing::id<core::RoomId>("!other:localhost");
  const core::UserId alice = testing::id<core::UserId>("@alice:localhost");
  const core::UserId bob = testing::id<core::UserId>("@bob:localhost");

  void SetUp() override {
    testing::add_test_room(*store, room, alice, {alice});
    testing::add_test_room(*store, other, bob, {alice, bob});
  }
};

TEST_F(ReportsTest, EventReportsAreForJoinedMembersAndRevealNothingElse) {
  const auto message = testing::id<core::EventId>("$room:localhost-message");
  for (const auto& [reporter, room_id, event_id] : {std::tuple{bob, room, message},
                                                    {alice, other, message},
                                                    {alice, room, testing::id<core::EventId>("$none")},
                                                    {alice, testing::id<core::RoomId>("!none:localhost"), message}}) {
    auto refused = reports.report_event(reporter, room_id, event_id, "", std::nullopt);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().errcode, "M_NOT_FOUND");
    EXPECT_EQ(refused.error().message, "The event was not found or you are not joined to the room");
  }
  ASSERT_TRUE(reports.report_event(alice, room, message, "spam", -100));
  auto kept = store->reports();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].event_id, message);
  EXPECT_EQ(kept[0].score, -100);
}

TEST_F(ReportsTest, RoomReportsNeedNoMembership) {
  const auto none = testing::id<core::RoomId>("!none:localhost");
  EXPECT_EQ(reports.report_room(bob, none, "spam").error().errcode, "M_NOT_FOUND");
  ASSERT_TRUE(reports.report_room(bob, room, "spam"));
  EXPECT_EQ(store->reports().size(), 1u);
}

TEST_F(ReportsTest, UserReportsAnswerAlikeButKeepOnlyKnownOrRemoteUsers) {
  storage::UserRecord known;
  known.user_id = alice;
  ASSERT_TRUE(store->create_user(known));
  ASSERT_TRUE(reports.report_user(bob, "@nobody:localhost", "spam"));
  EXPECT_TRUE(store->reports().empty());
  ASSERT_TRUE(reports.report_user(bob, alice, "spam"));
  ASSERT_TRUE(reports.report_user(bob, "@someone:elsewhere", "spam"));
  EXPECT_EQ(store->reports().size(), 2u);
  EXPECT_EQ(reports.report_user(bob, "not a user", "spam").error().errcode, "M_INVALID_PARAM");
}

TEST_F(ReportsTest, ReasonsAndReportsAreBounded) {
  EXPECT_EQ(reports.report_room(bob, room, std::string(kMaxReportReasonBytes + 1, 'x')).error().http_status, 413);
  ASSERT_TRUE(reports.report_room(bob, room, std::string(kMaxReportReasonBytes, 'x')));
  config.reports_per_user = 2;
  ASSERT_TRUE(reports.report_room(bob, room, "again"));
  EXPECT_EQ(reports.report_room(bob, room, "and again").error().errcode, "M_FORBIDDEN");
  // A report that would not be kept is refused beyond the bound too, so the answers stay alike.
  EXPECT_EQ(reports.report_user(bob, "@nobody:localhost", "spam").error().errcode, "M_FORBIDDEN");
  EXPECT_TRUE(reports.report_room(alice, room, "spam"));
}

}  // namespace
}  // namespace myelin::homeserver
