// m.room.create rules, v12 creators, auth events selection and check_auth_events, and
// signed third-party invites (auth.cc, auth_membership.cc).
#include "rooms/auth.h"

#include <gtest/gtest.h>

#include "core/crypto.h"
#include "rooms/test_room.h"

namespace myelin::rooms::testing {
namespace {

using AuthCreate = PerVersion;

json::object create_event(const RoomVersionRules& rules, json::object content) {
  json::object pdu{{"type", "m.room.create"},
                   {"sender", kAlice},
                   {"state_key", ""},
                   {"content", std::move(content)},
                   {"prev_events", json::array()},
                   {"auth_events", json::array()},
                   {"depth", 1},
                   {"origin_server_ts", 1}};
  if (!rules.room_id_from_create_event) pdu["room_id"] = "!room:example.org";
  if (!rules.use_room_create_sender) pdu["content"].as_object()["creator"] = kAlice;
  return pdu;
}

TEST_P(AuthCreate, CreateEventRules) {
  const StateLookup empty = [](std::string_view, std::string_view) -> const json::object* { return nullptr; };
  json::object create = create_event(rules(), {{"room_version", rules().id}});
  EXPECT_ALLOWED(authorize_event(create, empty, rules()));

  json::object with_prev = create;
  with_prev["prev_events"] = json::array{"$x"};
  EXPECT_REFUSED(authorize_event(with_prev, empty, rules()), "rule 1.1");

  json::object bad_version = create;
  bad_version["content"].as_object()["room_version"] = "9000";
  EXPECT_REFUSED(authorize_event(bad_version, empty, rules()), "rule 1.3");

  json::object room_id_elsewhere = create;
  room_id_elsewhere["room_id"] = "!room:other.org";
  EXPECT_REFUSED(authorize_event(room_id_elsewhere, empty, rules()), "rule 1.2");

  json::object no_creator = create;
  no_creator["content"].as_object().erase("creator");
  if (rules().use_room_create_sender) {
    EXPECT_ALLOWED(authorize_event(no_creator, empty, rules()));
  } else {
    EXPECT_REFUSED(authorize_event(no_creator, empty, rules()), "rule 1.4");
  }

  json::object creators = create;
  creators["content"].as_object()["additional_creators"] = json::array{"not a user"};
  if (rules().creators_have_infinite_power) {
    EXPECT_REFUSED(authorize_event(creators, empty, rules()), "rule 1.4");
    creators["content"].as_object()["additional_creators"] = "@bob:example.org";
    EXPECT_REFUSED(authorize_event(creators, empty, rules()), "rule 1.4");
    creators["content"].as_object()["additional_creators"] = json::array{kBob, kEve};
    EXPECT_ALLOWED(authorize_event(creators, empty, rules()));
  } else {
    EXPECT_ALLOWED(authorize_event(creators, empty, rules()));  // not validated before v12
  }
}

TEST_P(AuthCreate, EventsOutsideTheCreateEventsRoomAreRefused) {
  TestRoom room = TestRoom::standard(rules(), "public");
  json::object message = room.build("m.room.message", kAlice, {{"body", "x"}});
  message["room_id"] = "!another:example.org";
  EXPECT_REFUSED(room.check(message), rules().room_id_from_create_event ? "rule 2" : "rule 2.5");
  const StateLookup empty = [](std::string_view, std::string_view) -> const json::object* { return nullptr; };
  EXPECT_REFUSED(authorize_event(room.build("m.room.message", kAlice, {}), empty, rules()), "rule 2.4");
}

// The create event's ID, when the caller knows it, stands for hashing the create event (v12).
TEST_P(AuthCreate, RuleTwoTakesTheKnownCreateEventId) {
  if (!rules().room_id_from_create_event) GTEST_SKIP() << "the room ID is not the create event's before v12";
  TestRoom room = TestRoom::standard(rules(), "public");
  const json::object message = room.build("m.room.message", kAlice, {{"body", "x"}});
  const std::string create_id = "$" + room.room_id().substr(1);
  EXPECT_ALLOWED(authorize_event(message, room.lookup(), rules(), create_id));
  EXPECT_REFUSED(authorize_event(message, room.lookup(), rules(), "$" + std::string(43, 'A')), "rule 2");
  json::object elsewhere = message;
  elsewhere["room_id"] = "!" + std::string(43, 'A');
  EXPECT_REFUSED(authorize_event(elsewhere, room.lookup(), rules(), create_id), "rule 2");
}

TEST_P(AuthCreate, CreatorsHaveInfinitePowerInV12Only) {
  TestRoom room(rules(), {{"additional_creators", json::array{kBob}}});
  ASSERT_TRUE(room.member(kAlice, kAlice, "join"));
  ASSERT_TRUE(room.send("m.room.join_rules", kAlice, {{"join_rule", "public"}}, ""));
  ASSERT_TRUE(room.member(kBob, kBob, "join"));
  ASSERT_TRUE(room.member(kCarol, kCarol, "join"));
  json::object levels{{"users", {{kCarol, 100}}}, {"users_default", 0}};
  if (!rules().creators_have_infinite_power) levels["users"].as_object()[kAlice] = 100;
  ASSERT_TRUE(room.set_levels(kAlice, levels));
  PowerLevels power(&room.get("m.room.power_levels", "")->at("content").as_object(), *room.get("m.room.create", ""),
                    rules());
  if (rules().creators_have_infinite_power) {
    EXPECT_TRUE(power.is_creator(kBob));
    EXPECT_EQ(power.user_level(kAlice), std::nullopt);
    EXPECT_EQ(power.user_level(kBob), std::nullopt);
    EXPECT_TRUE(power.outranks(kBob, kCarol));
    EXPECT_FALSE(power.outranks(kBob, kAlice));
    EXPECT_TRUE(power.at_least(kBob, 1'000'000));
    // bob (additional creator, not in users) kicks carol (100) and sets any level.
    EXPECT_ALLOWED(room.set_levels(kBob, {{"users", {{kCarol, 100}, {kDave, 999999}}}, {"ban", 1000}}));
    EXPECT_ALLOWED(room.member(kBob, kCarol, "ban"));
    // No one can kick or ban a creator, not even another creator.
    EXPECT_REFUSED(room.member(kBob, kAlice, "leave"), "rule 5.5.5");
    EXPECT_REFUSED(room.member(kAlice, kBob, "ban"), "rule 5.6.3");
    // Creators cannot be listed in users (rule 10.4).
    EXPECT_REFUSED(room.set_levels(kAlice, {{"users", {{kAlice, 100}}}}), "rule 10.4");
    EXPECT_REFUSED(room.set_levels(kAlice, {{"users", {{kBob, 0}}}}), "rule 10.4");
  } else {
    EXPECT_FALSE(power.is_creator(kBob));  // additional_creators means nothing before v12
    EXPECT_TRUE(power.is_creator(kAlice));
    EXPECT_EQ(power.user_level(kAlice), 100);
    EXPECT_EQ(power.user_level(kBob), 0);
    EXPECT_REFUSED(room.set_levels(kBob, {{"users", {{kBob, 100}}}}), "rule 8");
    EXPECT_REFUSED(room.member(kCarol, kAlice, "leave"), "rule 5.5.5");  // 100 vs 100
    EXPECT_REFUSED(room.set_levels(kAlice, {{"users", {{kAlice, 100}, {kBob, 10}}}}),
                   "rule 10.9");  // removes carol, whose 100 is not below alice's
    EXPECT_ALLOWED(room.set_levels(kAlice, {{"users", {{kAlice, 100}, {kCarol, 100}, {kBob, 10}}}}));
  }
}

TEST_P(AuthCreate, AuthTypesForEvent) {
  TestRoom room = TestRoom::standard(rules(), "restricted");
  using Types = std::vector<std::pair<std::string, std::string>>;
  const bool v12 = rules().room_id_from_create_event;
  auto with_create = [&](Types types) {
    if (!v12) types.insert(types.begin(), {"m.room.create", ""});
    return types;
  };
  EXPECT_EQ(auth_types_for_event(*room.get("m.room.create", ""), rules()), Types{});
  EXPECT_EQ(auth_types_for_event(room.build("m.room.message", kBob, {}), rules()),
            with_create({{"m.room.power_levels", ""}, {"m.room.member", std::string(kBob)}}));
  EXPECT_EQ(
      auth_types_for_event(room.build("m.room.member", kBob,
                                      {{"membership", "join"}, {"join_authorised_via_users_server", kAlice}}, kBob),
                           rules()),
      with_create({{"m.room.power_levels", ""},
                   {"m.room.member", std::string(kBob)},
                   {"m.room.join_rules", ""},
                   {"m.room.member", std::string(kAlice)}}));
  EXPECT_EQ(
      auth_types_for_event(
          room.build("m.room.member", kAlice,
                     {{"membership", "invite"}, {"third_party_invite", {{"signed", {{"token", "tok"}}}}}}, kCarol),
          rules()),
      with_create({{"m.room.power_levels", ""},
                   {"m.room.member", std::string(kAlice)},
                   {"m.room.member", std::string(kCarol)},
                   {"m.room.join_rules", ""},
                   {"m.room.third_party_invite", "tok"}}));
  EXPECT_EQ(auth_types_for_event(room.build("m.room.member", kAlice, {{"membership", "ban"}}, kCarol), rules()),
            with_create({{"m.room.power_levels", ""},
                         {"m.room.member", std::string(kAlice)},
                         {"m.room.member", std::string(kCarol)}}));
}

TEST_P(AuthCreate, CheckAuthEvents) {
  TestRoom room = TestRoom::standard(rules(), "public");
  const json::object* create = room.get("m.room.create", "");
  const json::object* levels = room.get("m.room.power_levels", "");
  const json::object* alice = room.get("m.room.member", kAlice);
  const json::object* join_rules = room.get("m.room.join_rules", "");
  const json::object message = room.build("m.room.message", kAlice, {});
  const bool v12 = rules().room_id_from_create_event;

  std::vector<const json::object*> good{levels, alice};
  if (!v12) good.push_back(create);
  EXPECT_ALLOWED(check_auth_events(message, good, rules()));

  std::vector<const json::object*> duplicate = good;
  duplicate.push_back(levels);
  EXPECT_REFUSED(check_auth_events(message, duplicate, rules()), "rule 3.1");

  std::vector<const json::object*> unexpected = good;
  unexpected.push_back(join_rules);  // only member events cite join rules
  EXPECT_REFUSED(check_auth_events(message, unexpected, rules()), "rule 3.2");

  const std::vector<const json::object*> no_create{levels, alice};
  if (v12) {
    const std::vector<const json::object*> with_create{create, levels, alice};
    EXPECT_REFUSED(check_auth_events(message, with_create, rules()), "rule 3.2");
  } else {
    EXPECT_REFUSED(check_auth_events(message, no_create, rules()), "rule 2.4");
  }

  json::object foreign = *levels;
  foreign["room_id"] = "!elsewhere:example.org";
  std::vector<const json::object*> other_room{&foreign, alice};
  if (!v12) other_room.push_back(create);
  EXPECT_REFUSED(check_auth_events(message, other_room, rules()), "rule 3.5");
  EXPECT_ALLOWED(check_auth_events(*create, {}, rules()));
}

TEST_P(AuthCreate, SignedThirdPartyInvite) {
  auto identity = core::SigningKey::from_seed("0", std::string(32, '\7'));
  ASSERT_TRUE(identity);
  TestRoom room = TestRoom::standard(rules(), "invite");
  ASSERT_TRUE(room.send("m.room.third_party_invite", kAlice,
                        {{"display_name", "b..."},
                         {"key_validity_url", "https://id.example/validity"},
                         {"public_key", identity->public_key_base64()}},
                        "tok"));
  json::object signed_{{"mxid", kBob}, {"token", "tok"}};
  core::sign_json(signed_, "id.example", *identity);
  json::object good{{"display_name", "b..."}, {"signed", signed_}};
  // Only the sender of the m.room.third_party_invite may use it.
  ASSERT_TRUE(room.member(kAlice, kCarol, "invite"));
  ASSERT_TRUE(room.member(kCarol, kCarol, "join"));
  EXPECT_REFUSED(room.member(kCarol, kBob, "invite", {{"third_party_invite", good}}), "rule 5.4.1.6");
  json::object forged = good;
  forged["signed"].as_object()["token"] = "tok";
  forged["signed"].as_object()["mxid"] = kBob;
  forged["signed"].as_object()["signatures"] = json::object{{"id.example", {{"ed25519:0", std::string(86, 'A')}}}};
  EXPECT_REFUSED(room.member(kAlice, kBob, "invite", {{"third_party_invite", forged}}), "rule 5.4.1.8");
  EXPECT_ALLOWED(room.member(kAlice, kBob, "invite", {{"third_party_invite", good}}));
  EXPECT_EQ(room.membership(kBob), "invite");
}

INSTANTIATE_TEST_SUITE_P(Versions, AuthCreate, ::testing::Values("10", "11", "12"));

}  // namespace
}  // namespace myelin::rooms::testing
