#include "homeserver/timeline/filters.h"

#include <gtest/gtest.h>

#include "storage/store.h"

namespace myelin::homeserver {
namespace {

struct FiltersFixture : ::testing::Test {
  TimelineOptions config;
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  Filters filters{config, *store};
  const std::string user = "@a:localhost";
};

TEST_F(FiltersFixture, AnIdenticalFilterIsKeptOnce) {
  auto first = filters.create(user, json::object{{"room", json::object{{"timeline", json::object{{"limit", 5}}}}}});
  auto again = filters.create(user, json::object{{"room", json::object{{"timeline", json::object{{"limit", 5}}}}}});
  ASSERT_TRUE(first);
  ASSERT_TRUE(again);
  EXPECT_EQ(*first, *again);
  auto definition = filters.definition(user, *first);
  ASSERT_TRUE(definition);
  EXPECT_EQ(definition->at("room").at("timeline").at("limit"), 5);
  auto sync = filters.for_sync(user, *first);
  ASSERT_TRUE(sync);
  EXPECT_EQ(sync->room.timeline.limit, 5);
}

TEST_F(FiltersFixture, InvalidOrTooLargeFiltersAreRefused) {
  EXPECT_EQ(filters.create(user, json::object{{"room", 1}}).error().errcode, "M_BAD_JSON");
  json::array senders;
  for (int i = 0; i < 5000; ++i) senders.emplace_back("@user" + std::to_string(i) + ":localhost");
  auto big = filters.create(user, json::object{{"presence", json::object{{"senders", senders}}}});
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().errcode, "M_TOO_LARGE");
}

TEST_F(FiltersFixture, SyncFilterInlineKeptOrNone) {
  EXPECT_TRUE(filters.for_sync(user, std::nullopt));
  auto inline_filter = filters.for_sync(user, std::string(R"({"room":{"timeline":{"limit":3}}})"));
  ASSERT_TRUE(inline_filter);
  EXPECT_EQ(inline_filter->room.timeline.limit, 3);
  EXPECT_EQ(filters.for_sync(user, std::string("{not json")).error().errcode, "M_BAD_JSON");
  EXPECT_EQ(filters.for_sync(user, std::string("12345")).error().errcode, "M_NOT_FOUND");
  EXPECT_EQ(filters.for_sync(user, std::string("abc")).error().errcode, "M_NOT_FOUND");
  EXPECT_EQ(filters.definition(user, "abc").error().errcode, "M_NOT_FOUND");
  // Another user's filter is unknown to this one.
  auto theirs = filters.create("@b:localhost", json::object{});
  ASSERT_TRUE(theirs);
  EXPECT_EQ(filters.definition(user, *theirs).error().errcode, "M_NOT_FOUND");
}

}  // namespace
}  // namespace myelin::homeserver
