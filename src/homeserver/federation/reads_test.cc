#include "homeserver/federation/reads.h"

#include <gtest/gtest.h>

#include <map>

#include <algorithm>

#include "homeserver/federation/federation_test_support.h"
#include "homeserver/federation/pdu_intake.h"

namespace myelin::homeserver {
namespace {

struct ReadsTest : testing::FederationRoom {
  FederationReads reads{"here.example", *store, here.rooms, here_key};
  PduIntake intake{"here.example", *store, *store, here.rooms, here.write_path, keys, transport};

  // Bob of remote.example joins.
  std::string join_bob() {
    BuiltEvent join = remote_event("@b:remote.example", "m.room.member", "@b:remote.example", {{"membership", "join"}});
    intake.receive("remote.example", join.pdu, [](const PduOutcome& outcome) { EXPECT_EQ(outcome.error, ""); });
    return join.row.event_id;
  }
  std::string latest() { return room()->extremities.back().event_id; }
  static bool has(const json::array& ids, const std::string& id) {
    return std::ranges::find(ids, json::value(id)) != ids.end();
  }
};

TEST_F(ReadsTest, OnlyServersWithAJoinedUserMayRead) {
  const std::string event = latest();
  auto refused = reads.event("remote.example", event);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errcode, "M_FORBIDDEN");
  join_bob();
  auto found = reads.event("remote.example", event);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->at("origin"), "here.example");
  ASSERT_EQ(found->at("pdus").as_array().size(), 1u);
  EXPECT_EQ(found->at("pdus").as_array()[0].as_object().at("type"), "m.room.join_rules");
  EXPECT_EQ(reads.event("remote.example", "$unknown").error().errcode, "M_NOT_FOUND");
  EXPECT_EQ(reads.state_ids("remote.example", "!other:here.example", event).error().errcode, "M_NOT_FOUND");
}

TEST_F(ReadsTest, TheRoomsServerAclIsApplied) {
  join_bob();
  send_here("@a:here.example", "m.room.server_acl", "",
            {{"allow", json::array{"*"}}, {"deny", json::array{"remote.example"}}});
  EXPECT_EQ(reads.event("remote.example", latest()).error().errcode, "M_FORBIDDEN");
}

TEST_F(ReadsTest, WorldReadableRoomsAreReadableByAnyServer) {
  send_here("@a:here.example", "m.room.history_visibility", "", {{"history_visibility", "world_readable"}});
  EXPECT_TRUE(reads.event("third.example", latest()));
}

TEST_F(ReadsTest, StateIdsAreTheStateBeforeTheEventWithItsAuthChain) {
  const std::string join = join_bob();
  auto state = reads.state_ids("remote.example", room_id, join);
  ASSERT_TRUE(state) << state.error().message;
  const json::array& ids = state->at("pdu_ids").as_array();
  EXPECT_EQ(ids.size(), 4u);  // create, a's join, power levels, join rules: not Bob's join itself
  EXPECT_FALSE(has(ids, join));
  const std::string create = room()->find("m.room.create", "")->event_id;
  EXPECT_TRUE(has(ids, create));
  EXPECT_TRUE(has(state->at("auth_chain_ids").as_array(), create));
  auto full = reads.state("remote.example", room_id, join);
  ASSERT_TRUE(full);
  EXPECT_EQ(full->at("pdus").as_array().size(), 4u);
  EXPECT_EQ(full->at("auth_chain").as_array().size(), state->at("auth_chain_ids").as_array().size());
}

TEST_F(ReadsTest, EventAuthIsTheAuthChainOfTheEvent) {
  const std::string join = join_bob();
  auto chain = reads.event_auth("remote.example", room_id, join);
  ASSERT_TRUE(chain) << chain.error().message;
  // create, power levels, join rules, and a's join (which the power levels and join rules cite).
  EXPECT_EQ(chain->at("auth_chain").as_array().size(), 4u);
}

TEST_F(ReadsTest, HistoryItsUsersCouldNotReadReachesAServerRedacted) {
  send_here("@a:here.example", "m.room.history_visibility", "", {{"history_visibility", "joined"}});
  send_here("@a:here.example", "m.room.message", std::nullopt, {{"body", "before"}});
  const std::string before = latest();
  join_bob();
  send_here("@a:here.example", "m.room.message", std::nullopt, {{"body", "after"}});
  const std::string after = latest();
  auto backfill = reads.backfill("remote.example", room_id, {after}, 10);
  ASSERT_TRUE(backfill) << backfill.error().message;
  std::map<std::string, json::object> by_id;
  for (const auto& pdu : backfill->at("pdus").as_array())
    by_id[rooms::event_id_of(pdu.as_object(), *room()->rules)] = pdu.as_object();
  EXPECT_EQ(by_id.at(after).at("content").as_object().at("body"), "after");
  EXPECT_TRUE(by_id.at(before).at("content").as_object().empty());  // sent before bob joined
  auto event = reads.event("remote.example", before);
  ASSERT_TRUE(event);
  EXPECT_TRUE(event->at("pdus").as_array()[0].as_object().at("content").as_object().empty());
}

TEST_F(ReadsTest, MissingEventsWalkBackFromTheLatestToTheEarliest) {
  const std::string join = join_bob();
  const std::string join_rules = room()->find("m.room.join_rules", "")->event_id;
  send_here("@a:here.example", "m.room.message", std::nullopt, {{"body", "one"}});
  const std::string one = latest();
  send_here("@a:here.example", "m.room.message", std::nullopt, {{"body", "two"}});
  const std::string two = latest();
  send_here("@a:here.example", "m.room.message", std::nullopt, {{"body", "three"}});
  const std::string three = latest();
  auto missing = reads.missing_events("remote.example", room_id,
                                      json::object{{"earliest_events", json::array{json::value(join)}},
                                                   {"latest_events", json::array{json::value(three)}}});
  ASSERT_TRUE(missing) << missing.error().message;
  const json::array& events = missing->at("events").as_array();
  ASSERT_EQ(events.size(), 2u);  // two, one (oldest first); not three itself, nothing from join back
  EXPECT_EQ(events[0].as_object().at("content").as_object().at("body"), "one");
  EXPECT_EQ(events[1].as_object().at("content").as_object().at("body"), "two");
  auto limited = reads.missing_events("remote.example", room_id,
                                      json::object{{"earliest_events", json::array{json::value(join_rules)}},
                                                   {"latest_events", json::array{json::value(three)}},
                                                   {"limit", 1}});
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->at("events").as_array().size(), 1u);
  EXPECT_FALSE(reads.missing_events("remote.example", room_id, json::object{{"latest_events", json::array()}}));
  auto backfill = reads.backfill("remote.example", room_id, {three}, 3);
  ASSERT_TRUE(backfill) << backfill.error().message;
  const json::array& pdus = backfill->at("pdus").as_array();
  ASSERT_EQ(pdus.size(), 3u);  // three and the two before it, deepest first
  EXPECT_EQ(pdus[0].as_object().at("content").as_object().at("body"), "three");
  EXPECT_EQ(rooms::event_id_of(pdus[2].as_object(), *room()->rules), one);
  (void)two;
}

}  // namespace
}  // namespace myelin::homeserver
