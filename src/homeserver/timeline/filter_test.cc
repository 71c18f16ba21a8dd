#include "homeserver/timeline/filter.h"

#include <gtest/gtest.h>

namespace myelin::homeserver {
namespace {

json::object parse(std::string_view text) { return *core::parse_json_object(text); }

TEST(FilterTest, WildcardTypesAndSenders) {
  auto filter = parse_event_filter(parse(R"({"types":["m.room.*"],"not_senders":["@spam:x"]})"), 10);
  ASSERT_TRUE(filter);
  EXPECT_TRUE(filter->matches("m.room.message", "@a:x"));
  EXPECT_FALSE(filter->matches("m.reaction", "@a:x"));
  EXPECT_FALSE(filter->matches("m.room.message", "@spam:x"));
}

TEST(FilterTest, IgnoredUsersLoseTheirNonStateEventsOnly) {
  auto filter = parse_event_filter(parse(R"({"types":["m.room.*"]})"), 10);
  ASSERT_TRUE(filter);
  EXPECT_TRUE(filter->shows("m.room.message", "@ignored:x", false));  // no list, nobody ignored
  filter->ignored =
      std::make_shared<const std::set<std::string, std::less<>>>(std::set<std::string, std::less<>>{"@ignored:x"});
  EXPECT_FALSE(filter->shows("m.room.message", "@ignored:x", false));
  EXPECT_TRUE(filter->shows("m.room.member", "@ignored:x", true));
  EXPECT_TRUE(filter->shows("m.room.message", "@other:x", false));
  // The filter's own rules still apply to what is not hidden.
  EXPECT_FALSE(filter->shows("m.reaction", "@other:x", false));
  EXPECT_FALSE(filter->shows("m.reaction", "@ignored:x", true));
}

TEST(FilterTest, NotTypesWinOverTypes) {
  auto filter = parse_event_filter(parse(R"({"types":["*"],"not_types":["m.room.member"]})"), 10);
  ASSERT_TRUE(filter);
  EXPECT_FALSE(filter->matches("m.room.member", "@a:x"));
  EXPECT_TRUE(filter->matches("m.room.name", "@a:x"));
}

TEST(FilterTest, SyncFilterSections) {
  auto filter = Filter::parse(parse(
      R"({"room":{"timeline":{"limit":5},"state":{"lazy_load_members":true},"not_rooms":["!a:x"],"include_leave":true}})"));
  ASSERT_TRUE(filter);
  EXPECT_EQ(filter->room.timeline.limit, 5);
  EXPECT_TRUE(filter->room.state.lazy_load_members);
  EXPECT_TRUE(filter->room.include_leave);
  EXPECT_FALSE(filter->room.matches_room("!a:x"));
  EXPECT_TRUE(filter->room.matches_room("!b:x"));
}

TEST(FilterTest, EventFormat) {
  EXPECT_FALSE(Filter::parse(parse(R"({})"))->federation_format);
  EXPECT_FALSE(Filter::parse(parse(R"({"event_format":"client"})"))->federation_format);
  EXPECT_TRUE(Filter::parse(parse(R"({"event_format":"federation"})"))->federation_format);
  EXPECT_EQ(Filter::parse(parse(R"({"event_format":"pdu"})")).error().errcode, "M_BAD_JSON");
}

TEST(FilterTest, WrongTypesAreBadJson) {
  for (const char* text : {R"({"room":5})", R"({"room":{"timeline":{"limit":"x"}}})",
                           R"({"room":{"state":{"lazy_load_members":"yes"}}})", R"({"account_data":{"types":[1]}})"}) {
    auto filter = Filter::parse(parse(text));
    ASSERT_FALSE(filter) << text;
    EXPECT_EQ(filter.error().errcode, "M_BAD_JSON") << text;
  }
}

TEST(FilterTest, RoomAndSenderListsHoldIds) {
  for (const char* text :
       {R"({"room":{"timeline":{"rooms":["not_a_room_id"]}}})", R"({"room":{"not_rooms":["x"]}})",
        R"({"room":{"timeline":{"senders":["not_a_sender_id"]}}})", R"({"presence":{"not_senders":["@"]}})"}) {
    auto filter = Filter::parse(parse(text));
    ASSERT_FALSE(filter) << text;
    EXPECT_EQ(filter.error().errcode, "M_INVALID_PARAM") << text;
  }
  EXPECT_TRUE(Filter::parse(parse(R"({"room":{"rooms":["!a:b.example"],"timeline":{"senders":["@a:b.example"]}}})")));
}

TEST(FilterTest, LimitIsClamped) {
  auto filter = parse_event_filter(parse(R"({"limit":100000})"), 10);
  ASSERT_TRUE(filter);
  EXPECT_EQ(filter->limit, 1000);
}

}  // namespace
}  // namespace myelin::homeserver
