#include "homeserver/push/push_rule_service.h"

#include <gtest/gtest.h>

#include "storage/store.h"

namespace myelin::homeserver {
namespace {

struct PushRuleServiceTest : ::testing::Test {
  PushOptions config;
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  std::vector<std::string> changed;
  PushRuleService rules{config, *store, [this](const std::string& user_id) { changed.push_back(user_id); }};
  const std::string alice = "@alice:localhost";
  const json::object keyword{{"pattern", "cake"}, {"actions", json::array{"notify"}}};
};

TEST_F(PushRuleServiceTest, EditsAreSavedAndAnnounced) {
  ASSERT_TRUE(rules.put(alice, "content", "cake", keyword, std::nullopt, std::nullopt));
  EXPECT_EQ(changed, std::vector<std::string>{alice});
  auto rule = rules.rule(alice, "content", "cake");
  ASSERT_TRUE(rule);
  EXPECT_EQ(rule->at("pattern"), "cake");
  EXPECT_EQ(*rules.attribute(alice, "content", "cake", "enabled"), (json::object{{"enabled", true}}));
  ASSERT_TRUE(rules.set_attribute(alice, "content", "cake", "enabled", {{"enabled", false}}));
  EXPECT_EQ(rules.rule(alice, "content", "cake")->at("enabled"), false);
  ASSERT_TRUE(rules.remove(alice, "content", "cake"));
  EXPECT_EQ(rules.rule(alice, "content", "cake").error().errcode, "M_NOT_FOUND");
  EXPECT_EQ(changed.size(), 3u);
  // Another user's rules are their own.
  EXPECT_EQ(rules.ruleset("@bob:localhost"), json::object({{"global", rules.global("@bob:localhost")}}));
}

TEST_F(PushRuleServiceTest, RefusalsChangeNothing) {
  EXPECT_EQ(rules.of_kind(alice, "nonsense").error().errcode, "M_INVALID_PARAM");
  EXPECT_TRUE(rules.of_kind(alice, "override")->is_array());
  // An unknown rule is M_NOT_FOUND before the body is looked at.
  EXPECT_EQ(rules.set_attribute(alice, "content", "none", "enabled", {}).error().errcode, "M_NOT_FOUND");
  EXPECT_EQ(rules.set_attribute(alice, "override", ".m.rule.master", "enabled", {{"enabled", 1}}).error().errcode,
            "M_BAD_JSON");
  EXPECT_EQ(rules.set_attribute(alice, "override", ".m.rule.master", "actions", {}).error().errcode, "M_BAD_JSON");
  config.push_rules_per_user = 0;
  EXPECT_EQ(rules.put(alice, "content", "cake", keyword, std::nullopt, std::nullopt).error().errcode, "M_FORBIDDEN");
  EXPECT_TRUE(changed.empty());
}

}  // namespace
}  // namespace myelin::homeserver
