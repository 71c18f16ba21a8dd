#include "homeserver/timeline/room_directory.h"

#include <gtest/gtest.h>

#include "homeserver/timeline/test_support.h"

namespace myelin::homeserver {
namespace {

struct RoomDirectoryTest : ::testing::Test {
  TimelineOptions config;
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  core::SigningKey key = core::SigningKey::generate("test");
  testing::SendPath send{config, *store, key};
  RoomDirectory directory{config, *store, *store, send.timeline};
  const core::RoomId room = testing::id<core::RoomId>("!room:localhost");
  const core::UserId alice = testing::id<core::UserId>("@alice:localhost");
  const core::UserId bob = testing::id<core::UserId>("@bob:localhost");

  void SetUp() override { testing::add_test_room(*store, room, alice, {alice}); }
};

TEST(DirectoryQueryTest, LimitsAndSinceTokensAreStrict) {
  EXPECT_TRUE(parse_room_alias("#a:localhost"));
  EXPECT_FALSE(parse_room_alias("#:localhost"));
  EXPECT_FALSE(parse_room_alias("#a\tb:localhost"));
  DirectoryQuery query;
  EXPECT_FALSE(query.set_limit(-1));
  ASSERT_TRUE(query.set_limit(5000));
  EXPECT_EQ(query.limit, DirectoryQuery::kMaxLimit);
  ASSERT_TRUE(query.set_since("o5"));
  EXPECT_EQ(query.offset, 5u);
  for (const char* token : {"5", "o", "o5x", "o-1"}) EXPECT_FALSE(query.set_since(token)) << token;
}

TEST_F(RoomDirectoryTest, AliasesNeedAJoinedCreatorAndStayWithinTheirBound) {
  EXPECT_FALSE(directory.parse_local_alias("#a:elsewhere"));
  EXPECT_EQ(directory.create_alias("#a:localhost", room, bob, false).error().errcode, "M_FORBIDDEN");
  const auto none = testing::id<core::RoomId>("!none:localhost");
  EXPECT_EQ(directory.create_alias("#a:localhost", none, alice, false).error().errcode, "M_NOT_FOUND");
  ASSERT_TRUE(directory.create_alias("#a:localhost", room, alice, false));
  EXPECT_EQ(directory.create_alias("#a:localhost", room, alice, false).error().http_status, 409);
  // An admin may name a room they are not in.
  ASSERT_TRUE(directory.create_alias("#b:localhost", room, bob, true));
  EXPECT_EQ(*directory.resolve_alias("#a:localhost"),
            (json::object{{"room_id", room.str()}, {"servers", json::array{"localhost"}}}));
  EXPECT_EQ(directory.room_aliases(room, bob, false).error().errcode, "M_FORBIDDEN");
  EXPECT_EQ(directory.room_aliases(room, alice, false)->at("aliases").as_array().size(), 2u);
  config.aliases_per_user = 1;
  EXPECT_EQ(directory.create_alias("#c:localhost", room, alice, false).error().errcode, "M_FORBIDDEN");
}

TEST_F(RoomDirectoryTest, AnAliasIsDeletedByItsCreatorOrWhoMayChangeTheCanonicalAlias) {
  ASSERT_TRUE(directory.create_alias("#a:localhost", room, alice, false));
  ASSERT_TRUE(directory.create_alias("#b:localhost", room, bob, true));
  EXPECT_EQ(directory.delete_alias("#a:localhost", bob, false).error().errcode, "M_FORBIDDEN");
  ASSERT_TRUE(directory.delete_alias("#a:localhost", alice, false));
  EXPECT_EQ(directory.resolve_alias("#a:localhost").error().errcode, "M_NOT_FOUND");
  EXPECT_EQ(directory.delete_alias("#a:localhost", alice, false).error().errcode, "M_NOT_FOUND");
  // The room's creator (all-powerful in version 12) deletes an alias someone else made.
  ASSERT_TRUE(directory.delete_alias("#b:localhost", alice, false));
}

TEST_F(RoomDirectoryTest, PublishedRoomsAreListed) {
  EXPECT_EQ(*directory.visibility(room), (json::object{{"visibility", "private"}}));
  EXPECT_EQ(directory.visibility(testing::id<core::RoomId>("!none:localhost")).error().errcode, "M_NOT_FOUND");
  EXPECT_EQ(directory.public_rooms({})["chunk"].as_array().size(), 0u);
  EXPECT_EQ(directory.set_visibility(room, true, bob, false).error().errcode, "M_FORBIDDEN");
  ASSERT_TRUE(directory.set_visibility(room, true, bob, true));
  EXPECT_EQ(*directory.visibility(room), (json::object{{"visibility", "public"}}));
  json::object listed = directory.public_rooms({});
  ASSERT_EQ(listed["chunk"].as_array().size(), 1u);
  EXPECT_EQ(listed["chunk"].as_array()[0].at("num_joined_members"), 1);
  EXPECT_EQ(listed["total_room_count_estimate"], 1);
  DirectoryQuery search;
  search.set_search("nothing like it");
  EXPECT_EQ(directory.public_rooms(search)["chunk"].as_array().size(), 0u);
  EXPECT_TRUE(directory.is_local_directory(std::nullopt));
  EXPECT_TRUE(directory.is_local_directory("localhost"));
  EXPECT_FALSE(directory.is_local_directory("elsewhere"));
}

TEST_F(RoomDirectoryTest, SummariesOfPrivateRoomsAreForMembers) {
  auto summary = directory.summary(room, alice);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->at("room_version"), "12");
  EXPECT_EQ(summary->at("membership"), "join");
  // No join rule, not world_readable: others are told it does not exist.
  EXPECT_EQ(directory.summary(room, bob).error().errcode, "M_NOT_FOUND");
  EXPECT_EQ(directory.summary(room, std::nullopt).error().errcode, "M_NOT_FOUND");
  EXPECT_EQ(directory.summary("#unknown:localhost", alice).error().errcode, "M_NOT_FOUND");
  EXPECT_EQ(directory.summary("nonsense", alice).error().errcode, "M_INVALID_PARAM");
}

}  // namespace
}  // namespace myelin::homeserver
