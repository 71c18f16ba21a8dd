// State resolution v1, v2 and v2.1 (state_res.h) on crafted auth DAGs: each test forks a small
// room, resolves the forks' states and asserts the exact event IDs of the result.
#include "rooms/state_res.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "rooms/event_format.h"
#include "rooms/test_room.h"

namespace myelin::rooms::testing {
namespace {

// An in-memory room DAG: events by ID, with the auth events the test names.
class Dag : public EventSource {
 public:
  const json::object* event(std::string_view event_id) override {
    auto it = events_.find(event_id);
    return it == events_.end() ? nullptr : &it->second;
  }
  bool rejected(std::string_view event_id) override { return rejected_.contains(std::string(event_id)); }

  // Adds a state event `id` with origin_server_ts and depth from a counter unless given.
  std::string add(std::string id, std::string_view type, std::string_view sender, std::string_view state_key,
                  json::object content, std::vector<std::string> auth, std::optional<std::int64_t> ts = {},
                  std::optional<std::int64_t> depth = {}) {
    ++clock_;
    json::array auth_events;
    for (const std::string& a : auth) auth_events.emplace_back(a);
    json::array prev;
    if (type == "m.room.member" && sender == kAlice && state_key == kAlice) prev.emplace_back(create_id);
    events_[id] = json::object{{"room_id", room_id},
                               {"type", type},
                               {"sender", sender},
                               {"state_key", state_key},
                               {"content", std::move(content)},
                               {"origin_server_ts", ts.value_or(clock_)},
                               {"depth", depth.value_or(clock_)},
                               {"auth_events", std::move(auth_events)},
                               {"prev_events", std::move(prev)}};
    return id;
  }
  void put(const std::string& event_id, json::object pdu) { events_[event_id] = std::move(pdu); }
  void reject(const std::string& event_id) { rejected_.insert(event_id); }

  std::string room_id = "!room:example.org";
  std::string create_id = "$create";
  json::object& at(const std::string& event_id) { return events_.at(event_id); }

 private:
  std::map<std::string, json::object, std::less<>> events_;
  std::set<std::string> rejected_;
  std::int64_t clock_ = 0;
};

StateKey key(std::string_view type, std::string_view state_key = "") {
  return {std::string(type), std::string(state_key)};
}
const StateKey kPl = key("m.room.power_levels");
const StateKey kJr = key("m.room.join_rules");
const StateKey kTopic = key("m.room.topic");

json::object member(std::string_view membership) { return {{"membership", membership}}; }

// create, Alice's join, power levels $pl1 (Alice 100 plus `levels`), join rules, Bob's and
// Carol's joins. Returns the state after them.
StateMap base_room(Dag& dag, json::object levels = {}, std::string_view join_rule = "public") {
  dag.add("$create", "m.room.create", kAlice, "", {{"creator", kAlice}, {"room_version", "11"}}, {});
  dag.add("$ja", "m.room.member", kAlice, kAlice, member("join"), {"$create"});
  json::object users{{kAlice, 100}};
  if (const json::value* extra = levels.if_contains("users")) {
    for (const auto& kv : extra->as_object()) users[kv.key()] = kv.value();
  }
  levels["users"] = std::move(users);
  dag.add("$pl1", "m.room.power_levels", kAlice, "", std::move(levels), {"$create", "$ja"});
  dag.add("$jr", "m.room.join_rules", kAlice, "", {{"join_rule", "public"}}, {"$create", "$ja", "$pl1"});
  dag.add("$jb", "m.room.member", kBob, kBob, member("join"), {"$create", "$jr", "$pl1"});
  dag.add("$jc", "m.room.member", kCarol, kCarol, member("join"), {"$create", "$jr", "$pl1"});
  StateMap state{
      {key("m.room.create"), "$create"},   {key("m.room.member", kAlice), "$ja"}, {kPl, "$pl1"}, {kJr, "$jr"},
      {key("m.room.member", kBob), "$jb"}, {key("m.room.member", kCarol), "$jc"}};
  if (join_rule != "public") {
    dag.add("$jr2", "m.room.join_rules", kAlice, "", {{"join_rule", join_rule}}, {"$create", "$ja", "$pl1"});
    state[kJr] = "$jr2";
  }
  return state;
}

const RoomVersionRules& v11() { return *find_room_version("11"); }
// v11 with state resolution v2.1: the algorithms compared on the same authorization rules.
const RoomVersionRules& v11_with_v2_1() {
  static const RoomVersionRules rules = [] {
    RoomVersionRules r = *find_room_version("11");
    r.state_res_v2_1 = true;
    return r;
  }();
  return rules;
}

StateMap resolve(Dag& dag, std::vector<StateMap> states, const RoomVersionRules& rules) {
  AuthChains chains;
  auto resolved = resolve_state(states, dag, chains, rules);
  EXPECT_TRUE(resolved.has_value()) << (resolved ? "" : resolved.error().message);
  return resolved ? *resolved : StateMap{};
}

StateMap with(StateMap state, std::initializer_list<std::pair<StateKey, std::string>> changes) {
  for (const auto& [k, v] : changes) state.insert_or_assign(k, v);
  return state;
}

// Both v2 and v2.1 where they agree.
class StateResV2 : public ::testing::TestWithParam<bool> {
 protected:
  const RoomVersionRules& rules() const { return GetParam() ? v11_with_v2_1() : v11(); }
};
INSTANTIATE_TEST_SUITE_P(Versions, StateResV2, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "v2_1" : "v2"; });

TEST_P(StateResV2, BanLosesToConcurrentDemotionOfTheBanner) {
  Dag dag;
  StateMap base = base_room(dag, {{"users", {{kBob, 50}}}});
  dag.add("$ban", "m.room.member", kBob, kCarol, member("ban"), {"$create", "$pl1", "$jb", "$jc"});
  dag.add("$pl2", "m.room.power_levels", kAlice, "", {{"users", {{kAlice, 100}}}}, {"$create", "$ja", "$pl1"});
  StateMap a = with(base, {{key("m.room.member", kCarol), "$ban"}});
  StateMap b = with(base, {{kPl, "$pl2"}});
  EXPECT_EQ(resolve(dag, {a, b}, rules()), with(base, {{kPl, "$pl2"}}));
}

TEST_P(StateResV2, TopicBySenderWhosePowerWasConcurrentlyRemovedIsDropped) {
  Dag dag;
  StateMap base = base_room(dag, {{"users", {{kBob, 50}}}});
  dag.add("$t0", "m.room.topic", kAlice, "", {{"topic", "alice"}}, {"$create", "$ja", "$pl1"});
  base[kTopic] = "$t0";
  dag.add("$t1", "m.room.topic", kBob, "", {{"topic", "bob"}}, {"$create", "$jb", "$pl1"});
  dag.add("$pl2", "m.room.power_levels", kAlice, "", {{"users", {{kAlice, 100}}}}, {"$create", "$ja", "$pl1"});
  StateMap a = with(base, {{kTopic, "$t1"}});
  StateMap b = with(base, {{kPl, "$pl2"}});
  EXPECT_EQ(resolve(dag, {a, b}, rules()), with(base, {{kPl, "$pl2"}}));
  // Without the demotion Bob's topic stands.
  EXPECT_EQ(resolve(dag, {a, base}, rules()), a);
}

TEST_P(StateResV2, JoinConcurrentWithJoinRulesToInviteIsDropped) {
  Dag dag;
  StateMap base = base_room(dag);
  dag.add("$invite_only", "m.room.join_rules", kAlice, "", {{"join_rule", "invite"}}, {"$create", "$ja", "$pl1"});
  dag.add("$jd", "m.room.member", kDave, kDave, member("join"), {"$create", "$jr", "$pl1"});
  StateMap a = with(base, {{kJr, "$invite_only"}});
  StateMap b = with(base, {{key("m.room.member", kDave), "$jd"}});
  EXPECT_EQ(resolve(dag, {a, b}, rules()), a);
}

TEST_P(StateResV2, UnconflictedStateIsKeptEvenWhenItWouldFailTheChecks) {
  Dag dag;
  StateMap base = base_room(dag);
  // Carol (power 0) cannot set a topic, but both states have it: it is not checked again.
  dag.add("$carol_topic", "m.room.topic", kCarol, "", {{"topic", "c"}}, {"$create", "$jc", "$pl1"});
  base[kTopic] = "$carol_topic";
  dag.add("$name", "m.room.name", kAlice, "", {{"name", "n"}}, {"$create", "$ja", "$pl1"});
  StateMap a = with(base, {{key("m.room.name"), "$name"}});
  EXPECT_EQ(resolve(dag, {a, base}, rules()), a);
}

TEST_P(StateResV2, ConcurrentTopicsAreOrderedByMainlineBeforeTimestamp) {
  Dag dag;
  StateMap base = base_room(dag);
  dag.add("$ta", "m.room.topic", kAlice, "", {{"topic", "a"}}, {"$create", "$ja", "$pl1"}, 900);
  dag.add("$pl2", "m.room.power_levels", kAlice, "", {{"users", {{kAlice, 100}, {kBob, 10}}}},
          {"$create", "$ja", "$pl1"}, 100);
  // Older by timestamp, but cites the later power levels: sorted after $ta.
  dag.add("$tb", "m.room.topic", kAlice, "", {{"topic", "b"}}, {"$create", "$ja", "$pl2"}, 200);
  StateMap a = with(base, {{kTopic, "$ta"}});
  StateMap b = with(base, {{kPl, "$pl2"}, {kTopic, "$tb"}});
  EXPECT_EQ(resolve(dag, {a, b}, rules()), b);
  EXPECT_EQ(resolve(dag, {b, a}, rules()), b);
}

TEST_P(StateResV2, SameMainlineTopicsTieBreakOnTimestampThenEventId) {
  Dag dag;
  StateMap base = base_room(dag);
  dag.add("$tx", "m.room.topic", kAlice, "", {{"topic", "x"}}, {"$create", "$ja", "$pl1"}, 500);
  dag.add("$ty", "m.room.topic", kAlice, "", {{"topic", "y"}}, {"$create", "$ja", "$pl1"}, 400);
  StateMap x = with(base, {{kTopic, "$tx"}});
  StateMap y = with(base, {{kTopic, "$ty"}});
  EXPECT_EQ(resolve(dag, {x, y}, rules()), x);  // the later one is applied last
  dag.at("$ty")["origin_server_ts"] = 500;
  EXPECT_EQ(resolve(dag, {x, y}, rules()), y);  // same time: the greater event ID last
}

TEST_P(StateResV2, PowerEventsTieBreakOnSenderLevelThenTimestampThenEventId) {
  Dag dag;
  StateMap base = base_room(dag, {{"users", {{kBob, 100}}}});
  // Bob and Alice both at 100: the timestamps decide, the later applied last.
  dag.add("$jr_bob", "m.room.join_rules", kBob, "", {{"join_rule", "invite"}}, {"$create", "$jb", "$pl1"}, 300);
  dag.add("$jr_alice", "m.room.join_rules", kAlice, "", {{"join_rule", "knock"}}, {"$create", "$ja", "$pl1"}, 200);
  StateMap a = with(base, {{kJr, "$jr_bob"}});
  StateMap b = with(base, {{kJr, "$jr_alice"}});
  EXPECT_EQ(resolve(dag, {a, b}, rules()), a);
  dag.at("$jr_bob")["origin_server_ts"] = 200;
  EXPECT_EQ(resolve(dag, {a, b}, rules()), a);  // "$jr_bob" > "$jr_alice"
  // A sender of higher power comes first, so the lower one's change is applied last.
  dag.at("$pl1")["content"].as_object()["users"].as_object()[kBob] = 60;
  dag.at("$jr_bob")["origin_server_ts"] = 100;
  dag.at("$pl1")["content"].as_object()["join_rules"] = 50;
  EXPECT_EQ(resolve(dag, {a, b}, rules()), a);
}

TEST_P(StateResV2, RejectedAuthEventIsNotUsedForTheChecks) {
  Dag dag;
  StateMap base = base_room(dag, {{"state_default", 0}}, "invite");
  dag.add("$t0", "m.room.topic", kAlice, "", {{"topic", "alice"}}, {"$create", "$ja", "$pl1"});
  base[kTopic] = "$t0";
  // Dave joined an invite-only room uninvited: rejected, so not in any state; his topic cites it.
  dag.add("$jd", "m.room.member", kDave, kDave, member("join"), {"$create", "$jr2", "$pl1"});
  dag.reject("$jd");
  dag.add("$td", "m.room.topic", kDave, "", {{"topic", "dave"}}, {"$create", "$jd", "$pl1"});
  StateMap a = with(base, {{kTopic, "$td"}});
  EXPECT_EQ(resolve(dag, {a, base}, rules()), base);
}

TEST_P(StateResV2, IdenticalStatesAndOneStateResolveToThemselves) {
  Dag dag;
  StateMap base = base_room(dag);
  EXPECT_EQ(resolve(dag, {base, base, base}, rules()), base);
  EXPECT_EQ(resolve(dag, {base}, rules()), base);
  EXPECT_EQ(resolve(dag, {}, rules()), StateMap{});
}

TEST_P(StateResV2, KeyMissingFromOneStateIsConflicted) {
  Dag dag;
  StateMap base = base_room(dag);
  // Dave's join is in one state only; it passes the checks and is kept.
  dag.add("$jd", "m.room.member", kDave, kDave, member("join"), {"$create", "$jr", "$pl1"});
  StateMap a = with(base, {{key("m.room.member", kDave), "$jd"}});
  EXPECT_EQ(resolve(dag, {a, base}, rules()), a);
  // Unless it fails them: a topic by Dave, who never joined.
  dag.add("$td", "m.room.topic", kDave, "", {{"topic", "d"}}, {"$create", "$pl1"});
  StateMap b = with(base, {{kTopic, "$td"}});
  EXPECT_EQ(resolve(dag, {b, base}, rules()), base);
}

TEST_P(StateResV2, MissingEventFailsWithNotFound) {
  Dag dag;
  StateMap base = base_room(dag);
  dag.add("$t1", "m.room.topic", kAlice, "", {{"topic", "t"}}, {"$create", "$ja", "$unknown"});
  StateMap a = with(base, {{kTopic, "$t1"}});
  StateMap b = with(base, {{kTopic, "$nowhere"}});
  AuthChains chains;
  for (const StateMap& other : {a, b}) {
    std::vector<StateMap> states{other, base};
    auto resolved = resolve_state(states, dag, chains, rules());
    ASSERT_FALSE(resolved.has_value());
    EXPECT_EQ(resolved.error().errcode, "M_NOT_FOUND");
  }
}

TEST_P(StateResV2, ReadsAuthEventsAsReferencePairs) {
  Dag dag;
  StateMap base = base_room(dag, {{"users", {{kBob, 50}}}});
  dag.add("$ban", "m.room.member", kBob, kCarol, member("ban"), {});
  dag.add("$pl2", "m.room.power_levels", kAlice, "", {{"users", {{kAlice, 100}}}}, {});
  // v1/v2 rooms: [[id, {hashes}], ...]
  auto pairs = [](std::initializer_list<std::string_view> ids) {
    json::array list;
    for (std::string_view id : ids) list.push_back(json::array{id, json::object{{"sha256", "x"}}});
    return list;
  };
  dag.at("$ban")["auth_events"] = pairs({"$create", "$pl1", "$jb", "$jc"});
  dag.at("$pl2")["auth_events"] = pairs({"$create", "$ja", "$pl1"});
  StateMap a = with(base, {{key("m.room.member", kCarol), "$ban"}});
  StateMap b = with(base, {{kPl, "$pl2"}});
  EXPECT_EQ(resolve(dag, {a, b}, rules()), with(base, {{kPl, "$pl2"}}));
}

// v2.1: the iterative auth checks start from the empty state, not the unconflicted one.
TEST(StateResV21, ChecksStartFromEmptyStateNotTheUnconflictedState) {
  Dag dag;
  StateMap base = base_room(dag, {{"state_default", 0}});
  dag.add("$t0", "m.room.topic", kAlice, "", {{"topic", "alice"}}, {"$create", "$ja", "$pl1"});
  // Carol sets a topic; concurrently Alice bans her; both states have the ban.
  dag.add("$tc", "m.room.topic", kCarol, "", {{"topic", "carol"}}, {"$create", "$jc", "$pl1"});
  dag.add("$ban", "m.room.member", kAlice, kCarol, member("ban"), {"$create", "$ja", "$pl1", "$jc"});
  StateMap a = with(base, {{kTopic, "$tc"}, {key("m.room.member", kCarol), "$ban"}});
  StateMap b = with(base, {{kTopic, "$t0"}, {key("m.room.member", kCarol), "$ban"}});
  // v2 checks Carol's topic against the ban (unconflicted); v2.1 against her join.
  EXPECT_EQ(resolve(dag, {a, b}, v11()), b);
  EXPECT_EQ(resolve(dag, {a, b}, v11_with_v2_1()), a);
}

// v2.1: the conflicted state subgraph joins the full conflicted set, so an event between two
// conflicted events that both states' auth chains share is checked again.
TEST(StateResV21, ConflictedStateSubgraphPreventsAStateReset) {
  Dag dag;
  StateMap base = base_room(dag);
  dag.add("$pl2", "m.room.power_levels", kAlice, "", {{"users", {{kAlice, 100}, {kBob, 100}}}},
          {"$create", "$ja", "$pl1"});
  dag.add("$pl3", "m.room.power_levels", kBob, "", {{"users", {{kAlice, 100}, {kBob, 100}, {kCarol, 10}}}},
          {"$create", "$jb", "$pl2"});
  dag.add("$topic", "m.room.topic", kAlice, "", {{"topic", "t"}}, {"$create", "$ja", "$pl2"});
  // One state went back to $pl1 (a state reset) but has $topic, which cites $pl2.
  StateMap a = with(base, {{kTopic, "$topic"}});
  StateMap b = with(base, {{kTopic, "$topic"}, {kPl, "$pl3"}});
  // v2: $pl2 is in both auth chains, so not in the auth difference; $pl3 fails against $pl1.
  EXPECT_EQ(resolve(dag, {a, b}, v11()), a);
  EXPECT_EQ(resolve(dag, {a, b}, v11_with_v2_1()), b);
}

// v12: the create event is not among the auth events (the room ID names it) and creators have
// infinite power.
TEST(StateResV21, RoomVersion12BanLosesToConcurrentDemotion) {
  const RoomVersionRules& v12 = *find_room_version("12");
  Dag dag;
  json::object create{{"type", "m.room.create"},
                      {"sender", kAlice},
                      {"state_key", ""},
                      {"content", {{"room_version", "12"}}},
                      {"origin_server_ts", 1},
                      {"depth", 1},
                      {"auth_events", json::array()},
                      {"prev_events", json::array()},
                      {"hashes", {{"sha256", "x"}}}};
  dag.create_id = event_id_of(create, v12);
  dag.room_id = room_id_from_create_event(create, v12);
  dag.put(dag.create_id, create);
  dag.add("$ja", "m.room.member", kAlice, kAlice, member("join"), {});
  dag.add("$pl1", "m.room.power_levels", kAlice, "", {{"users", {{kBob, 50}}}}, {"$ja"});
  dag.add("$jr", "m.room.join_rules", kAlice, "", {{"join_rule", "public"}}, {"$ja", "$pl1"});
  dag.add("$jb", "m.room.member", kBob, kBob, member("join"), {"$jr", "$pl1"});
  dag.add("$jc", "m.room.member", kCarol, kCarol, member("join"), {"$jr", "$pl1"});
  StateMap base{
      {key("m.room.create"), dag.create_id}, {key("m.room.member", kAlice), "$ja"}, {kPl, "$pl1"}, {kJr, "$jr"},
      {key("m.room.member", kBob), "$jb"},   {key("m.room.member", kCarol), "$jc"}};
  dag.add("$ban", "m.room.member", kBob, kCarol, member("ban"), {"$pl1", "$jb", "$jc"});
  dag.add("$pl2", "m.room.power_levels", kAlice, "", {{"users", json::object()}}, {"$ja", "$pl1"});
  StateMap a = with(base, {{key("m.room.member", kCarol), "$ban"}});
  StateMap b = with(base, {{kPl, "$pl2"}});
  EXPECT_EQ(resolve(dag, {a, b}, v12), b);
  // Without the demotion the ban stands.
  EXPECT_EQ(resolve(dag, {a, base}, v12), a);
}

// v1 (rooms/v1.md): passes over power levels, join rules, members, then the rest.
TEST(StateResV1, BanAfterConcurrentDemotionAndDepthOrder) {
  Dag dag;
  StateMap base = base_room(dag, {{"users", {{kBob, 50}}}});
  dag.add("$pl2", "m.room.power_levels", kAlice, "", {{"users", {{kAlice, 100}}}}, {"$create", "$ja", "$pl1"}, 100, 10);
  dag.add("$ban", "m.room.member", kBob, kCarol, member("ban"), {"$create", "$pl1", "$jb", "$jc"}, 100, 11);
  StateMap a = with(base, {{key("m.room.member", kCarol), "$ban"}});
  StateMap b = with(base, {{kPl, "$pl2"}});
  std::vector<StateMap> states{a, b};
  auto resolved = resolve_state_v1(states, dag, *find_room_version("10"));
  ASSERT_TRUE(resolved.has_value()) << resolved.error().message;
  EXPECT_EQ(*resolved, with(base, {{kPl, "$pl2"}}));
}

TEST(StateResV1, OtherConflictsTakeTheDeepestAllowedEvent) {
  Dag dag;
  StateMap base = base_room(dag);
  dag.add("$deep", "m.room.topic", kAlice, "", {{"topic", "deep"}}, {"$create", "$ja", "$pl1"}, 100, 20);
  dag.add("$shallow", "m.room.topic", kAlice, "", {{"topic", "shallow"}}, {"$create", "$ja", "$pl1"}, 900, 10);
  dag.add("$deepest_refused", "m.room.topic", kCarol, "", {{"topic", "no"}}, {"$create", "$jc", "$pl1"}, 100, 30);
  // A key only one state has is not a conflict in v1: kept as is.
  dag.add("$name", "m.room.name", kCarol, "", {{"name", "n"}}, {"$create", "$jc", "$pl1"});
  StateMap a = with(base, {{kTopic, "$shallow"}, {key("m.room.name"), "$name"}});
  StateMap b = with(base, {{kTopic, "$deep"}});
  StateMap c = with(base, {{kTopic, "$deepest_refused"}});
  std::vector<StateMap> states{a, b, c};
  auto resolved = resolve_state_v1(states, dag, *find_room_version("10"));
  ASSERT_TRUE(resolved.has_value()) << resolved.error().message;
  EXPECT_EQ(*resolved, with(base, {{kTopic, "$deep"}, {key("m.room.name"), "$name"}}));
  std::vector<StateMap> same{base, base};
  EXPECT_EQ(resolve_state_v1(same, dag, *find_room_version("10")).value(), base);
}

TEST(StateResV1, MissingEventFails) {
  Dag dag;
  StateMap base = base_room(dag);
  std::vector<StateMap> states{with(base, {{kTopic, "$nowhere"}}), with(base, {{kTopic, "$jc"}})};
  auto resolved = resolve_state_v1(states, dag, *find_room_version("10"));
  ASSERT_FALSE(resolved.has_value());
  EXPECT_EQ(resolved.error().errcode, "M_NOT_FOUND");
}

// A big room: many members, a long power levels history, a small conflict. Only the conflict
// is checked; the rest is map work and one walk of the auth graph.
TEST_P(StateResV2, LargeRoomWithSmallConflictResolvesFast) {
  constexpr int kMembers = 20000;
  constexpr int kLevelChanges = 5000;
  Dag dag;
  StateMap base = base_room(dag);
  std::string pl = "$pl1";
  for (int i = 0; i < kLevelChanges; ++i) {
    std::string next = "$pl_" + std::to_string(i);
    dag.add(next, "m.room.power_levels", kAlice, "", {{"users", {{kAlice, 100}}}, {"ban", 50 + i % 2}},
            {"$create", "$ja", pl});
    pl = next;
  }
  base[kPl] = pl;
  for (int i = 0; i < kMembers; ++i) {
    std::string user = "@u" + std::to_string(i) + ":example.org";
    std::string id = "$m" + std::to_string(i);
    dag.add(id, "m.room.member", user, user, member("join"), {"$create", "$jr", pl});
    base[key("m.room.member", user)] = id;
  }
  dag.add("$ta", "m.room.topic", kAlice, "", {{"topic", "a"}}, {"$create", "$ja", pl}, 1);
  dag.add("$tb", "m.room.topic", kAlice, "", {{"topic", "b"}}, {"$create", "$ja", pl}, 2);
  dag.add("$kick", "m.room.member", kAlice, "@u7:example.org", member("leave"), {"$create", "$ja", pl, "$m7"});
  StateMap a = with(base, {{kTopic, "$ta"}, {key("m.room.member", "@u7:example.org"), "$kick"}});
  StateMap b = with(base, {{kTopic, "$tb"}});
  std::vector<StateMap> states{a, b};
  AuthChains chains;
  for (int round = 0; round < 2; ++round) {
    const auto start = std::chrono::steady_clock::now();
    auto resolved = resolve_state(states, dag, chains, rules());
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    std::printf("%d-entry state, %zu events in the auth graph: resolved in %lld ms (%s AuthChains)\n",
                static_cast<int>(base.size()), chains.size(), static_cast<long long>(ms), round ? "warm" : "cold");
    ASSERT_TRUE(resolved.has_value()) << resolved.error().message;
    EXPECT_EQ(*resolved, with(a, {{kTopic, "$tb"}}));
    EXPECT_LT(ms, 1000);
  }
}

}  // namespace
}  // namespace myelin::rooms::testing
