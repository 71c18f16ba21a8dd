// The m.room.power_levels rules and the event power checks (auth_power_levels.cc, auth.cc)
// for each supported version.
#include "rooms/auth.h"

#include <gtest/gtest.h>

#include "rooms/test_room.h"

namespace myelin::rooms::testing {
namespace {

using AuthPowerLevels = PerVersion;

// A public room where carol (50) may send m.room.power_levels; dave has 50, bob 0.
TestRoom moderated_room(const RoomVersionRules& rules) {
  TestRoom room = TestRoom::standard(rules, "public", {{kCarol, 50}, {kDave, 50}},
                                     {{"events", {{"m.room.power_levels", 50}, {"m.room.name", 100}}}});
  for (auto user : {kBob, kCarol, kDave}) EXPECT_TRUE(room.member(user, user, "join"));
  return room;
}

// The current power levels content with `change` applied to it.
json::object levels_with(const TestRoom& room, std::initializer_list<std::pair<std::string, json::value>> change) {
  json::object content = room.get("m.room.power_levels", "")->at("content").as_object();
  for (const auto& [key, value] : change) content[key] = value;
  return content;
}

json::object users_with(const TestRoom& room, std::string_view user, json::value level) {
  json::object users = room.get("m.room.power_levels", "")->at("content").at("users").as_object();
  if (level.is_null()) {
    users.erase(user);
  } else {
    users[user] = level;
  }
  return users;
}

TEST_P(AuthPowerLevels, ChangesAboveOwnLevelAreRefused) {
  TestRoom room = moderated_room(rules());
  EXPECT_REFUSED(room.set_levels(kCarol, levels_with(room, {{"ban", 75}})), "rule 10.6");
  EXPECT_REFUSED(room.set_levels(kCarol, levels_with(room, {{"users_default", 51}})), "rule 10.6");
  EXPECT_REFUSED(room.set_levels(kCarol, levels_with(room, {{"users", users_with(room, kBob, 60)}})), "rule 10.10");
  EXPECT_REFUSED(room.set_levels(kCarol, levels_with(room, {{"users", users_with(room, kDave, 0)}})),
                 "rule 10.9");  // dave's 50 is not below carol's 50
  EXPECT_REFUSED(room.set_levels(kCarol, levels_with(room, {{"users", users_with(room, kDave, nullptr)}})),
                 "rule 10.9");  // removing counts as changing
  EXPECT_REFUSED(room.set_levels(kCarol, levels_with(room, {{"events", {{"m.room.power_levels", 50}}}})),
                 "rule 10.7");  // removes m.room.name, currently 100
  EXPECT_REFUSED(
      room.set_levels(
          kCarol,
          levels_with(room, {{"events", {{"m.room.power_levels", 50}, {"m.room.name", 100}, {"m.room.topic", 70}}}})),
      "rule 10.8");
  EXPECT_REFUSED(room.set_levels(kCarol, levels_with(room, {{"notifications", {{"room", 60}}}})), "rule 10.8");
  EXPECT_REFUSED(room.set_levels(kBob, levels_with(room, {})), "rule 8");  // bob 0 < 50
}

TEST_P(AuthPowerLevels, ChangesWithinOwnLevelAreAllowed) {
  TestRoom room = moderated_room(rules());
  EXPECT_ALLOWED(room.set_levels(kCarol, levels_with(room, {{"users", users_with(room, kBob, 50)}})));
  EXPECT_ALLOWED(room.set_levels(kCarol, levels_with(room, {{"kick", 50}, {"invite", 50}})));
  EXPECT_ALLOWED(room.set_levels(kCarol, levels_with(room, {{"notifications", {{"room", 50}}}})));
  EXPECT_ALLOWED(room.set_levels(
      kCarol,
      levels_with(room, {{"events", {{"m.room.power_levels", 50}, {"m.room.name", 100}, {"m.room.topic", 50}}}})));
  // Unchanged entries above one's level are fine; so is lowering oneself.
  EXPECT_ALLOWED(room.set_levels(kCarol, levels_with(room, {{"users", users_with(room, kCarol, 10)}})));
  EXPECT_REFUSED(room.set_levels(kCarol, levels_with(room, {})), "rule 8");  // now 10 < 50
}

TEST_P(AuthPowerLevels, V10AndLaterRefuseNonIntegerLevels) {
  TestRoom room = moderated_room(rules());
  for (std::string_view key : {"ban", "kick", "redact", "invite", "users_default", "events_default", "state_default"}) {
    EXPECT_REFUSED(room.set_levels(kAlice, levels_with(room, {{std::string(key), "50"}})), "rule 10.1");
    EXPECT_REFUSED(room.set_levels(kAlice, levels_with(room, {{std::string(key), 50.5}})), "rule 10.1");
  }
  EXPECT_REFUSED(room.set_levels(kAlice, levels_with(room, {{"events", {{"m.room.name", "50"}}}})), "rule 10.2");
  EXPECT_REFUSED(room.set_levels(kAlice, levels_with(room, {{"events", json::array{}}})), "rule 10.2");
  EXPECT_REFUSED(room.set_levels(kAlice, levels_with(room, {{"notifications", {{"room", "50"}}}})), "rule 10.2");
  EXPECT_REFUSED(room.set_levels(kAlice, levels_with(room, {{"users", users_with(room, kBob, "50")}})), "rule 10.3");
  EXPECT_REFUSED(room.set_levels(kAlice, levels_with(room, {{"users", users_with(room, "bob", 5)}})), "rule 10.3");
  EXPECT_REFUSED(room.set_levels(kAlice, levels_with(room, {{"users", "x"}})), "rule 10.3");
  EXPECT_ALLOWED(room.set_levels(kAlice, levels_with(room, {{"ban", 40}})));
}

TEST_P(AuthPowerLevels, FirstPowerLevelsEventOnlyNeedsTheShape) {
  TestRoom room(rules());
  ASSERT_TRUE(room.member(kAlice, kAlice, "join"));
  // No previous power levels: any well-formed content is accepted (rule 10.5).
  EXPECT_ALLOWED(room.check(room.build("m.room.power_levels", kAlice, {{"users", {{kBob, 1000}}}, {"ban", 1000}}, "")));
  EXPECT_REFUSED(room.check(room.build("m.room.power_levels", kAlice, {{"ban", "1"}}, "")), "rule 10.1");
}

TEST_P(AuthPowerLevels, WithoutPowerLevelsTheCreatorHas100AndOthers0) {
  TestRoom room(rules());
  ASSERT_TRUE(room.member(kAlice, kAlice, "join"));
  ASSERT_TRUE(room.send("m.room.join_rules", kAlice, {{"join_rule", "public"}}, ""));
  ASSERT_TRUE(room.member(kBob, kBob, "join"));
  EXPECT_REFUSED(room.send("m.room.topic", kBob, {{"topic", "t"}}, ""), "rule 8");  // state 50
  EXPECT_ALLOWED(room.send("m.room.message", kBob, {{"body", "b"}}));               // events 0
  EXPECT_ALLOWED(room.send("m.room.topic", kAlice, {{"topic", "t"}}, ""));
  EXPECT_ALLOWED(room.member(kAlice, kBob, "leave"));  // kick 50, alice outranks
}

TEST_P(AuthPowerLevels, EventsNeedTheirRequiredLevelAndJoinedSender) {
  TestRoom room = moderated_room(rules());
  EXPECT_REFUSED(room.send("m.room.name", kCarol, {{"name", "n"}}, ""), "rule 8");  // needs 100
  EXPECT_REFUSED(room.send("m.room.topic", kBob, {{"topic", "t"}}, ""), "rule 8");  // state 50
  EXPECT_ALLOWED(room.send("m.room.topic", kCarol, {{"topic", "t"}}, ""));
  EXPECT_ALLOWED(room.send("m.room.name", kAlice, {{"name", "n"}}, ""));
  EXPECT_REFUSED(room.send("m.room.message", kEve, {{"body", "x"}}), "rule 6");
  EXPECT_REFUSED(room.send("m.custom", kCarol, {}, kDave), "rule 9");  // @-key of another user
  EXPECT_ALLOWED(room.send("m.custom", kCarol, {}, kCarol));
  EXPECT_REFUSED(room.send("m.room.third_party_invite", kEve, {}, "tok"), "rule 6");
}

TEST_P(AuthPowerLevels, ThirdPartyInviteEventNeedsInviteLevel) {
  TestRoom room = TestRoom::standard(rules(), "public", {}, {{"invite", 10}});
  ASSERT_TRUE(room.member(kBob, kBob, "join"));
  EXPECT_REFUSED(room.send("m.room.third_party_invite", kBob, {{"display_name", "x"}}, "tok"), "rule 7.1");
  EXPECT_ALLOWED(room.send("m.room.third_party_invite", kAlice, {{"display_name", "x"}}, "tok"));
}

TEST_P(AuthPowerLevels, RedactionEventsAreAuthorisedLikeAnyOtherEvent) {
  TestRoom room = TestRoom::standard(rules(), "public", {}, {{"redact", 100}});
  ASSERT_TRUE(room.member(kBob, kBob, "join"));
  // The redact level is not an auth rule: bob may send a redaction event...
  EXPECT_ALLOWED(room.send("m.room.redaction", kBob, {{"redacts", "$other"}}));
  // ...unless events/events_default require more.
  ASSERT_TRUE(room.set_levels(kAlice, levels_with(room, {{"events", {{"m.room.redaction", 50}}}})));
  EXPECT_REFUSED(room.send("m.room.redaction", kBob, {{"redacts", "$other"}}), "rule 8");
}

TEST_P(AuthPowerLevels, RedactionPermissionHelpers) {
  TestRoom room = TestRoom::standard(rules(), "public", {{kCarol, 50}});
  const json::object* create = room.get("m.room.create", "");
  PowerLevels levels(&room.get("m.room.power_levels", "")->at("content").as_object(), *create, rules());
  EXPECT_TRUE(may_redact(levels, kBob, kBob));
  EXPECT_FALSE(may_redact(levels, kBob, kCarol));
  EXPECT_TRUE(may_redact(levels, kCarol, kBob));
  EXPECT_TRUE(may_redact(levels, kAlice, kCarol));
  EXPECT_TRUE(redaction_applies(levels, kBob, kDave));   // same server
  EXPECT_FALSE(redaction_applies(levels, kEve, kBob));   // other server, level 0
  EXPECT_TRUE(redaction_applies(levels, kCarol, kEve));  // redact level
}

INSTANTIATE_TEST_SUITE_P(Versions, AuthPowerLevels, ::testing::Values("10", "11", "12"));

}  // namespace
}  // namespace myelin::rooms::testing
