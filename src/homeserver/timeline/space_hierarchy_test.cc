#include "homeserver/timeline/space_hierarchy.h"

#include <gtest/gtest.h>

#include "homeserver/timeline/test_support.h"

namespace myelin::homeserver {
namespace {

json::object child_pdu(const std::string& child, json::object content, std::int64_t ts) {
  return json::object{{"type", "m.space.child"},
                      {"state_key", child},
                      {"sender", "@alice:localhost"},
                      {"origin_server_ts", ts},
                      {"content", std::move(content)}};
}

void add_child(RoomState& space, const std::string& child, json::object content, std::int64_t ts) {
  space.state[{"m.space.child", child}] =
      StateEntry{"$" + child, 1, std::make_shared<const json::object>(child_pdu(child, std::move(content), ts))};
}

std::vector<std::string> ids(const std::vector<SpaceChild>& children) {
  std::vector<std::string> out;
  for (const auto& child : children) out.push_back(child.room_id);
  return out;
}

const json::array kVia{"localhost"};

TEST(SpaceChildrenTest, AreOrderedAsTheSpecsExample) {
  RoomState space;
  add_child(space, "!b:example.org", {{"order", " "}, {"via", kVia}}, 1640341000000);
  add_child(space, "!a:example.org", {{"order", "aaaa"}, {"via", kVia}}, 1640141000000);
  add_child(space, "!c:example.org", {{"order", "first"}, {"via", kVia}}, 1640841000000);
  add_child(space, "!e:example.org", {{"via", kVia}}, 1640641000000);
  add_child(space, "!d:example.org", {{"via", kVia}}, 1640741000000);
  EXPECT_EQ(ids(space_children(space, false)),
            (std::vector<std::string>{"!b:example.org", "!a:example.org", "!c:example.org", "!e:example.org",
                                      "!d:example.org"}));
}

TEST(SpaceChildrenTest, InvalidOrdersAndViasAndTiesFollowTheRules) {
  RoomState space;
  // An invalid order counts as none; equal orders fall back to the timestamp, then the room ID.
  add_child(space, "!late:x", {{"order", "m"}, {"via", kVia}}, 20);
  add_child(space, "!early:x", {{"order", "m"}, {"via", kVia}}, 10);
  add_child(space, "!tie2:x", {{"via", kVia}}, 5);
  add_child(space, "!tie1:x", {{"via", kVia}}, 5);
  add_child(space, "!badorder:x", {{"order", "\x7f"}, {"via", kVia}}, 1);
  add_child(space, "!longorder:x", {{"order", std::string(51, 'a')}, {"via", kVia}}, 2);
  add_child(space, "!numberorder:x", {{"order", 3}, {"via", kVia}}, 3);
  // Not children: no via, an empty via, a via that is not a list of strings.
  add_child(space, "!novia:x", {{"order", "a"}}, 1);
  add_child(space, "!emptyvia:x", {{"via", json::array{}}}, 1);
  add_child(space, "!badvia:x", {{"via", json::array{1}}}, 1);
  add_child(space, "!stringvia:x", {{"via", "localhost"}}, 1);
  EXPECT_EQ(ids(space_children(space, false)),
            (std::vector<std::string>{"!early:x", "!late:x", "!badorder:x", "!longorder:x", "!numberorder:x", "!tie1:x",
                                      "!tie2:x"}));
  EXPECT_TRUE(valid_space_order(" "));
  EXPECT_TRUE(valid_space_order("~"));
  EXPECT_FALSE(valid_space_order(""));
  EXPECT_FALSE(valid_space_order("\x1f"));
}

TEST(SpaceChildrenTest, SuggestedOnlyKeepsTheSuggested) {
  RoomState space;
  add_child(space, "!yes:x", {{"via", kVia}, {"suggested", true}}, 1);
  add_child(space, "!no:x", {{"via", kVia}, {"suggested", false}}, 2);
  add_child(space, "!string:x", {{"via", kVia}, {"suggested", "true"}}, 3);
  add_child(space, "!unset:x", {{"via", kVia}}, 4);
  EXPECT_EQ(ids(space_children(space, true)), (std::vector<std::string>{"!yes:x"}));
  EXPECT_EQ(space_children(space, false).size(), 4u);
}

TEST(HierarchyQueryTest, ParametersAndTokensAreStrict) {
  HierarchyQuery query;
  EXPECT_FALSE(query.set_limit(0));
  EXPECT_FALSE(query.set_max_depth(-1));
  ASSERT_TRUE(query.set_limit(100000));
  EXPECT_EQ(query.limit, HierarchyQuery::kMaxLimit);
  ASSERT_TRUE(query.set_max_depth(2));
  ASSERT_TRUE(query.set_from("h7_2_0"));
  EXPECT_EQ(query.offset, 7u);
  for (const char* token : {"", "h", "7_2_0", "h7_2", "h7_2_0x", "h7_2_2", "h-1_2_0", "h7__0", "h99999_2_0"})
    EXPECT_EQ(query.set_from(token).error().errcode, "M_INVALID_PARAM") << token;
  // Another max_depth or suggested_only than the token was made for.
  EXPECT_FALSE(query.set_from("h7_3_0"));
  EXPECT_FALSE(query.set_from("h7_2_1"));
}

// A tree in the store, read through the room cache:
//   !space (public space, alice and carol joined)
//     !public     public room
//     !restricted restricted to members of !space
//     !invite     invite-only (bob is invited)
//     !private    invite-only
//     !readable   world_readable history, invite-only
//     !remote:elsewhere (not on this server)
//     !sub        public space
//       !deep     public room
//       !space    (a loop)
struct SpaceHierarchyTest : ::testing::Test {
  TimelineOptions config;
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  RoomCache rooms{*store, 100000};
  SpaceHierarchy spaces{rooms, *store};
  const core::UserId alice = testing::id<core::UserId>("@alice:localhost");
  const core::UserId bob = testing::id<core::UserId>("@bob:localhost");
  const core::UserId carol = testing::id<core::UserId>("@carol:localhost");
  std::int64_t ts = 1000;

  struct State {
    std::string type, state_key;
    json::object content;
  };

  void add_room(const std::string& room_id, bool space, const std::string& join_rule, std::vector<State> state) {
    std::vector<storage::NewEvent> events;
    json::object create{{"room_version", "12"}};
    if (space) create["type"] = "m.space";
    state.insert(state.begin(), {{"m.room.create", "", create},
                                 {"m.room.member", alice, {{"membership", "join"}}},
                                 {"m.room.join_rules", "", {{"join_rule", join_rule}}}});
    for (auto& entry : state) {
      auto event = testing::test_event(room_id, "$" + room_id.substr(1) + std::to_string(events.size()), entry.type,
                                       entry.state_key, entry.type == "m.room.member" ? entry.state_key : alice.str(),
                                       entry.content);
      auto pdu = *core::parse_json_object(event.json);
      pdu["origin_server_ts"] = ts++;
      event.json = core::to_string(pdu);
      events.push_back(std::move(event));
    }
    events.front().state_group_before = 0;
    store->persist_events(events, storage::RoomRecord{room_id, "12", alice, false});
  }

  static State child(const std::string& room_id, json::object extra = {}) {
    extra["via"] = json::array{"localhost"};
    return {"m.space.child", room_id, std::move(extra)};
  }

  void SetUp() override {
    add_room("!space:localhost", true, "public",
             {{"m.room.member", carol, {{"membership", "join"}}},
              {"m.room.name", "", {{"name", "The space"}}},
              child("!public:localhost", {{"suggested", true}}),
              child("!restricted:localhost"),
              child("!invite:localhost"),
              child("!private:localhost"),
              child("!readable:localhost"),
              child("!remote:elsewhere"),
              child("!sub:localhost")});
    add_room("!public:localhost", false, "public", {});
    json::object restricted{
        {"join_rule", "restricted"},
        {"allow", json::array{json::object{{"type", "m.room_membership"}, {"room_id", "!space:localhost"}}}}};
    add_room("!restricted:localhost", false, "restricted", {{"m.room.join_rules", "", restricted}});
    add_room("!invite:localhost", false, "invite", {{"m.room.member", bob, {{"membership", "invite"}}}});
    add_room("!private:localhost", false, "invite", {});
    add_room("!readable:localhost", false, "invite",
             {{"m.room.history_visibility", "", {{"history_visibility", "world_readable"}}}});
    add_room("!sub:localhost", true, "public",
             {child("!deep:localhost", {{"suggested", true}}), child("!space:localhost", {{"suggested", true}})});
    add_room("!deep:localhost", false, "public", {});
  }

  std::vector<std::string> walk(const core::UserId& user, HierarchyQuery query = {}) {
    auto result = spaces.hierarchy(user, testing::id<core::RoomId>("!space:localhost"), query);
    EXPECT_TRUE(result);
    std::vector<std::string> out;
    if (result)
      for (const auto& room : result->at("rooms").as_array()) out.emplace_back(room.at("room_id").as_string());
    return out;
  }
};

TEST_F(SpaceHierarchyTest, ANonMemberSeesOnlyWhatTheyMayJoinOrRead) {
  EXPECT_EQ(walk(bob), (std::vector<std::string>{"!space:localhost", "!public:localhost", "!invite:localhost",
                                                 "!readable:localhost", "!sub:localhost", "!deep:localhost"}));
}

TEST_F(SpaceHierarchyTest, AMemberOfTheSpaceAlsoSeesTheRestrictedChild) {
  EXPECT_EQ(walk(carol), (std::vector<std::string>{"!space:localhost", "!public:localhost", "!restricted:localhost",
                                                   "!readable:localhost", "!sub:localhost", "!deep:localhost"}));
  // alice is joined to everything.
  EXPECT_EQ(walk(alice).size(), 8u);
}

TEST_F(SpaceHierarchyTest, EachRoomIsItsSummaryWithItsChildren) {
  auto result = spaces.hierarchy(bob, testing::id<core::RoomId>("!space:localhost"), {});
  ASSERT_TRUE(result);
  const auto& rooms_json = result->at("rooms").as_array();
  const auto& space = rooms_json[0].as_object();
  EXPECT_EQ(space.at("name"), "The space");
  EXPECT_EQ(space.at("room_type"), "m.space");
  EXPECT_EQ(space.at("join_rule"), "public");
  EXPECT_EQ(space.at("num_joined_members"), 2);
  EXPECT_EQ(space.at("room_version"), "12");
  const auto& children = space.at("children_state").as_array();
  ASSERT_EQ(children.size(), 7u);  // all links, those the caller cannot see included
  const auto& first = children[0].as_object();
  EXPECT_EQ(first.at("type"), "m.space.child");
  EXPECT_EQ(first.at("state_key"), "!public:localhost");
  EXPECT_EQ(first.at("sender").as_string(), alice.str());
  EXPECT_TRUE(first.at("origin_server_ts").is_int64());
  EXPECT_FALSE(first.contains("event_id"));
  // Not a space: no children.
  EXPECT_TRUE(rooms_json[1].at("children_state").as_array().empty());
  EXPECT_FALSE(result->contains("next_batch"));
}

TEST_F(SpaceHierarchyTest, DepthAndSuggestedOnlyPruneTheTree) {
  HierarchyQuery query;
  ASSERT_TRUE(query.set_max_depth(0));
  EXPECT_EQ(walk(bob, query), (std::vector<std::string>{"!space:localhost"}));
  ASSERT_TRUE(query.set_max_depth(1));
  EXPECT_EQ(walk(bob, query).size(), 5u);  // no !deep
  query = {};
  query.suggested_only = true;
  // The root always comes; !sub is not suggested, so neither is what lies under it.
  EXPECT_EQ(walk(bob, query), (std::vector<std::string>{"!space:localhost", "!public:localhost"}));
}

TEST_F(SpaceHierarchyTest, PagesFollowOneAnotherWithoutGapsOrRepeats) {
  std::vector<std::string> all, page;
  HierarchyQuery query;
  ASSERT_TRUE(query.set_limit(4));
  for (int pages = 0; pages < 10; ++pages) {
    auto result = spaces.hierarchy(bob, testing::id<core::RoomId>("!space:localhost"), query);
    ASSERT_TRUE(result);
    for (const auto& room : result->at("rooms").as_array()) all.emplace_back(room.at("room_id").as_string());
    if (!result->contains("next_batch")) break;
    ASSERT_TRUE(query.set_from(result->at("next_batch").as_string()));
  }
  EXPECT_EQ(all, walk(bob));
}

TEST_F(SpaceHierarchyTest, TheRootMustBeVisible) {
  EXPECT_EQ(spaces.hierarchy(bob, testing::id<core::RoomId>("!private:localhost"), {}).error().errcode, "M_FORBIDDEN");
  EXPECT_EQ(spaces.hierarchy(bob, testing::id<core::RoomId>("!unknown:localhost"), {}).error().errcode, "M_FORBIDDEN");
  EXPECT_EQ(
      spaces.hierarchy(carol, testing::id<core::RoomId>("!restricted:localhost"), {})->at("rooms").as_array().size(),
      1u);
}

}  // namespace
}  // namespace myelin::homeserver
