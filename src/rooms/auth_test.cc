// The m.room.member authorization rules (auth_membership.cc) for each supported version.
#include "rooms/auth.h"

#include <gtest/gtest.h>

#include "rooms/test_room.h"

namespace myelin::rooms::testing {
namespace {

using AuthMembership = PerVersion;

TEST_P(AuthMembership, CreateJoinPowerLevelsJoinRulesSequenceIsAccepted) {
  TestRoom room = TestRoom::standard(rules(), "public");
  EXPECT_EQ(room.membership(kAlice), "join");
  ASSERT_NE(room.get("m.room.power_levels", ""), nullptr);
  ASSERT_NE(room.get("m.room.join_rules", ""), nullptr);
  EXPECT_ALLOWED(room.send("m.room.message", kAlice, {{"body", "hi"}}));
  EXPECT_ALLOWED(room.member(kBob, kBob, "join"));  // public
  EXPECT_ALLOWED(room.send("m.room.message", kBob, {{"body", "hello"}}));
}

TEST_P(AuthMembership, OnlyTheCreatorJoinsStraightAfterCreate) {
  TestRoom room(rules());
  // No join rules yet: the default is invite, so only rule 5.3.1 lets anyone in.
  EXPECT_REFUSED(room.member(kBob, kBob, "join"), "rule 5.3.4");
  EXPECT_ALLOWED(room.member(kAlice, kAlice, "join"));
  // Once the create event is not the only prev event, rule 5.3.1 no longer applies.
  EXPECT_REFUSED(room.member(kBob, kAlice, "join"), "rule 5.3.2");
}

TEST_P(AuthMembership, CreatorJoinNeedsTheCreateEventAsOnlyPrevEvent) {
  TestRoom room(rules());
  json::object join = room.build("m.room.member", kAlice, {{"membership", "join"}}, kAlice);
  join["prev_events"] = json::array{"$somethingelse"};
  EXPECT_REFUSED(room.check(join), "rule 5.3.4");
  join["prev_events"].as_array().push_back(room.build("x", kAlice, {}).at("prev_events").at(0));
  EXPECT_REFUSED(room.check(join), "rule 5.3.4");  // two prev_events
}

TEST_P(AuthMembership, InviteOnlyRoomRefusesJoinWithoutInvite) {
  TestRoom room = TestRoom::standard(rules(), "invite");
  EXPECT_REFUSED(room.member(kBob, kBob, "join"), "rule 5.3.4");
  EXPECT_ALLOWED(room.member(kAlice, kBob, "invite"));
  EXPECT_ALLOWED(room.member(kBob, kBob, "join"));
  EXPECT_ALLOWED(room.member(kBob, kBob, "join"));  // a profile change: join -> join
}

TEST_P(AuthMembership, UnknownJoinRuleRefusesJoins) {
  TestRoom room = TestRoom::standard(rules(), "private");
  EXPECT_REFUSED(room.member(kBob, kBob, "join"), "rule 5.3.7");
}

TEST_P(AuthMembership, InviteNeedsJoinedSenderAndInvitePower) {
  TestRoom room = TestRoom::standard(rules(), "public", {}, {{"invite", 50}});
  ASSERT_TRUE(room.member(kBob, kBob, "join"));
  EXPECT_REFUSED(room.member(kBob, kCarol, "invite"), "rule 5.4.5");
  EXPECT_REFUSED(room.member(kCarol, kDave, "invite"), "rule 5.4.2");  // carol not joined
  EXPECT_REFUSED(room.member(kAlice, kBob, "invite"), "rule 5.4.3");   // already joined
  EXPECT_ALLOWED(room.member(kAlice, kCarol, "invite"));
}

TEST_P(AuthMembership, KickNeedsKickLevelAndOutranking) {
  TestRoom room = TestRoom::standard(rules(), "public", {{kCarol, 50}, {kDave, 50}});
  for (auto user : {kBob, kCarol, kDave}) ASSERT_TRUE(room.member(user, user, "join"));
  EXPECT_REFUSED(room.member(kBob, kCarol, "leave"), "rule 5.5.5");   // level 0 < kick 50
  EXPECT_REFUSED(room.member(kCarol, kDave, "leave"), "rule 5.5.5");  // 50 does not outrank 50
  EXPECT_REFUSED(room.member(kCarol, kAlice, "leave"), "rule 5.5.5");
  EXPECT_REFUSED(room.member(kEve, kBob, "leave"), "rule 5.5.2");  // not joined
  EXPECT_ALLOWED(room.member(kCarol, kBob, "leave"));
  EXPECT_ALLOWED(room.member(kAlice, kCarol, "leave"));
}

TEST_P(AuthMembership, LeavingOneselfNeedsAMembership) {
  TestRoom room = TestRoom::standard(rules(), "public");
  EXPECT_REFUSED(room.member(kBob, kBob, "leave"), "rule 5.5.1");
  ASSERT_TRUE(room.member(kBob, kBob, "join"));
  EXPECT_ALLOWED(room.member(kBob, kBob, "leave"));
  EXPECT_REFUSED(room.member(kBob, kBob, "leave"), "rule 5.5.1");
  ASSERT_TRUE(room.member(kAlice, kCarol, "invite"));
  EXPECT_ALLOWED(room.member(kCarol, kCarol, "leave"));  // rejecting an invite
}

TEST_P(AuthMembership, BanNeedsBanLevelAndOutrankingAndBannedUsersCannotRejoin) {
  TestRoom room = TestRoom::standard(rules(), "public", {{kCarol, 50}, {kDave, 50}});
  for (auto user : {kBob, kCarol, kDave}) ASSERT_TRUE(room.member(user, user, "join"));
  EXPECT_REFUSED(room.member(kBob, kCarol, "ban"), "rule 5.6.3");
  EXPECT_REFUSED(room.member(kCarol, kDave, "ban"), "rule 5.6.3");
  EXPECT_REFUSED(room.member(kEve, kBob, "ban"), "rule 5.6.1");
  EXPECT_ALLOWED(room.member(kCarol, kBob, "ban"));
  EXPECT_REFUSED(room.member(kBob, kBob, "join"), "rule 5.3.3");
  EXPECT_REFUSED(room.member(kBob, kBob, "knock"), "rule 5.7.1");
  EXPECT_REFUSED(room.member(kBob, kBob, "leave"), "rule 5.5.1");
  EXPECT_REFUSED(room.member(kAlice, kBob, "invite"), "rule 5.4.3");
  EXPECT_ALLOWED(room.member(kCarol, kEve, "ban"));  // banning a non-member is allowed
  // Unbanning needs the ban level as well as the kick level.
  EXPECT_ALLOWED(room.set_levels(
      kAlice, {{"users", rules().creators_have_infinite_power ? json::object{{kCarol, 50}}
                                                              : json::object{{kAlice, 100}, {kCarol, 50}}},
               {"ban", 75}}));
  EXPECT_REFUSED(room.member(kCarol, kBob, "leave"), "rule 5.5.3");
  EXPECT_ALLOWED(room.member(kAlice, kBob, "leave"));
  EXPECT_ALLOWED(room.member(kBob, kBob, "join"));
}

TEST_P(AuthMembership, KnockOnlyWithKnockJoinRules) {
  for (std::string_view rule : {"public", "invite", "restricted", "private"}) {
    TestRoom room = TestRoom::standard(rules(), rule);
    EXPECT_REFUSED(room.member(kBob, kBob, "knock"), "rule 5.7.1");
  }
  for (std::string_view rule : {"knock", "knock_restricted"}) {
    TestRoom room = TestRoom::standard(rules(), rule);
    EXPECT_REFUSED(room.member(kBob, kCarol, "knock"), "rule 5.7.2");
    EXPECT_REFUSED(room.member(kAlice, kAlice, "knock"), "rule 5.7.4");  // already joined
    EXPECT_ALLOWED(room.member(kBob, kBob, "knock"));
    EXPECT_REFUSED(room.member(kBob, kBob, "join"), "rule 5.3");  // knocking is not invited
    EXPECT_ALLOWED(room.member(kAlice, kBob, "invite"));          // accept the knock
    EXPECT_REFUSED(room.member(kBob, kBob, "knock"), "rule 5.7.4");
    EXPECT_ALLOWED(room.member(kBob, kBob, "join"));
  }
}

TEST_P(AuthMembership, KnockerMayWithdraw) {
  TestRoom room = TestRoom::standard(rules(), "knock");
  ASSERT_TRUE(room.member(kBob, kBob, "knock"));
  EXPECT_ALLOWED(room.member(kBob, kBob, "leave"));
}

TEST_P(AuthMembership, RestrictedJoinNeedsAJoinedAuthoriserWithInvitePower) {
  for (std::string_view rule : {"restricted", "knock_restricted"}) {
    SCOPED_TRACE(std::string(rule));
    TestRoom room = TestRoom::standard(rules(), rule, {{kDave, 10}}, {{"invite", 20}});
    ASSERT_TRUE(room.member(kAlice, kDave, "invite"));
    ASSERT_TRUE(room.member(kDave, kDave, "join"));
    EXPECT_REFUSED(room.member(kBob, kBob, "join"), "rule 5.3.5.2");
    EXPECT_REFUSED(room.member(kBob, kBob, "join", {{"join_authorised_via_users_server", kCarol}}),
                   "rule 5.3.5.2");  // not joined
    EXPECT_REFUSED(room.member(kBob, kBob, "join", {{"join_authorised_via_users_server", kDave}}),
                   "rule 5.3.5.2");  // joined, level 10 < invite 20
    EXPECT_ALLOWED(room.member(kBob, kBob, "join", {{"join_authorised_via_users_server", kAlice}}));
    // Invited users join without an authoriser.
    ASSERT_TRUE(room.member(kAlice, kCarol, "invite"));
    EXPECT_ALLOWED(room.member(kCarol, kCarol, "join"));
  }
}

TEST_P(AuthMembership, MembershipEventsNeedStateKeyAndKnownMembership) {
  TestRoom room = TestRoom::standard(rules(), "public");
  EXPECT_REFUSED(room.send("m.room.member", kBob, {{"membership", "join"}}), "rule 5.1");
  EXPECT_REFUSED(room.send("m.room.member", kBob, {{"displayname", "B"}}, kBob), "rule 5.1");
  EXPECT_REFUSED(room.member(kBob, kBob, "dance"), "rule 5.8");
}

TEST_P(AuthMembership, NonFederatingRoomRefusesRemoteUsers) {
  TestRoom room(rules(), {{"m.federate", false}});
  ASSERT_TRUE(room.member(kAlice, kAlice, "join"));
  ASSERT_TRUE(room.send("m.room.join_rules", kAlice, {{"join_rule", "public"}}, ""));
  EXPECT_REFUSED(room.member(kEve, kEve, "join"), "rule 4");
  EXPECT_ALLOWED(room.member(kBob, kBob, "join"));
}

TEST_P(AuthMembership, ThirdPartyInviteWithoutMatchingEventIsRefused) {
  TestRoom room = TestRoom::standard(rules(), "invite");
  json::object tpi{{"display_name", "b..."},
                   {"signed", {{"mxid", kBob}, {"token", "abc"}, {"signatures", json::object{}}}}};
  EXPECT_REFUSED(room.member(kAlice, kBob, "invite", {{"third_party_invite", tpi}}), "rule 5.4.1.5");
  tpi["signed"].as_object()["mxid"] = kCarol;
  EXPECT_REFUSED(room.member(kAlice, kBob, "invite", {{"third_party_invite", tpi}}), "rule 5.4.1.4");
  EXPECT_REFUSED(room.member(kAlice, kBob, "invite", {{"third_party_invite", {{"x", 1}}}}), "rule 5.4.1.2");
}

INSTANTIATE_TEST_SUITE_P(Versions, AuthMembership, ::testing::Values("10", "11", "12"));

}  // namespace
}  // namespace myelin::rooms::testing
