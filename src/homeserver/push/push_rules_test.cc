#include "homeserver/push/push_rules.h"

#include <gtest/gtest.h>

namespace myelin::homeserver {
namespace {

std::vector<std::string> ids(json::object& rules, std::string_view kind) {
  std::vector<std::string> out;
  for (const auto& rule : rules["global"].as_object()[kind].as_array())
    out.emplace_back(rule.as_object().at("rule_id").as_string());
  return out;
}

TEST(PushRulesTest, DefaultsFollowTheSpec) {
  json::object rules = default_push_rules("@a:x");
  auto overrides = ids(rules, "override");
  ASSERT_FALSE(overrides.empty());
  EXPECT_EQ(overrides.front(), ".m.rule.master");
  EXPECT_EQ(ids(rules, "underride").back(), ".m.rule.encrypted");
  auto invite = find_rule(rules, "override", ".m.rule.invite_for_me");
  ASSERT_TRUE(invite);
  EXPECT_NE(core::to_string(**invite).find("@a:x"), std::string::npos);
  EXPECT_EQ(core::to_string(rules).find("@USER@"), std::string::npos);
}

TEST(PushRulesTest, UserRulesGoBeforeDefaultsAndHonourBeforeAfter) {
  json::object rules = default_push_rules("@a:x");
  json::object body{{"actions", json::array{"notify"}}, {"conditions", json::array{}}};
  ASSERT_TRUE(put_rule(rules, "override", "mine", body, std::nullopt, std::nullopt, 100));
  ASSERT_TRUE(put_rule(rules, "override", "second", body, std::nullopt, std::string("mine"), 100));
  ASSERT_TRUE(put_rule(rules, "override", "first", body, std::string("mine"), std::nullopt, 100));
  auto overrides = ids(rules, "override");
  EXPECT_EQ(std::vector<std::string>(overrides.begin(), overrides.begin() + 4),
            (std::vector<std::string>{".m.rule.master", "first", "mine", "second"}));
  EXPECT_FALSE(put_rule(rules, "override", "x", body, std::string(".m.rule.master"), std::nullopt, 100));
}

TEST(PushRulesTest, InvalidRequestsAreRefused) {
  json::object rules = default_push_rules("@a:x");
  json::object body{{"actions", json::array{"notify"}}};
  EXPECT_EQ(put_rule(rules, "override", ".mine", body, {}, {}, 100).error().errcode, "M_INVALID_PARAM");
  EXPECT_EQ(put_rule(rules, "nonsense", "mine", body, {}, {}, 100).error().errcode, "M_INVALID_PARAM");
  EXPECT_FALSE(put_rule(rules, "content", "mine", body, {}, {}, 100));  // no pattern
  EXPECT_FALSE(put_rule(rules, "override", "mine", json::object{{"actions", "notify"}}, {}, {}, 100));
  EXPECT_EQ(delete_rule(rules, "override", ".m.rule.master").error().errcode, "M_NOT_FOUND");
  EXPECT_EQ(delete_rule(rules, "override", "absent").error().errcode, "M_NOT_FOUND");
  ASSERT_TRUE(put_rule(rules, "room", "!r:x", body, {}, {}, 100));
  EXPECT_TRUE(delete_rule(rules, "room", "!r:x"));
}

TEST(PushRulesTest, UserRulesAreBoundedInNumberAndSize) {
  json::object rules = default_push_rules("@a:x");
  json::object body{{"actions", json::array{"notify"}}, {"pattern", "tea"}};
  ASSERT_TRUE(put_rule(rules, "content", "one", body, {}, {}, 2));
  ASSERT_TRUE(put_rule(rules, "room", "!r:x", body, {}, {}, 2));
  // The server defaults do not count; replacing a rule is no new rule.
  EXPECT_EQ(put_rule(rules, "sender", "@b:x", body, {}, {}, 2).error().errcode, "M_FORBIDDEN");
  EXPECT_TRUE(put_rule(rules, "content", "one", json::object{{"actions", json::array{}}, {"pattern", "t"}}, {}, {}, 2));
  EXPECT_TRUE(delete_rule(rules, "room", "!r:x"));
  EXPECT_TRUE(put_rule(rules, "sender", "@b:x", body, {}, {}, 2));

  json::object huge{{"actions", json::array{"notify"}}, {"pattern", std::string(5000, 'x')}};
  auto refused = put_rule(rules, "content", "huge", huge, {}, {}, 100);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errcode, "M_TOO_LARGE");
  json::array conditions(300, json::object{{"kind", "event_match"}, {"key", "type"}, {"pattern", "m.x"}});
  EXPECT_FALSE(put_rule(rules, "override", "many", json::object{{"actions", json::array{}}, {"conditions", conditions}},
                        {}, {}, 100));
  EXPECT_FALSE(check_rule_size(json::object{{"actions", json::array(2000, "notify")}}));
}

}  // namespace
}  // namespace myelin::homeserver
