#include "homeserver/push/push_evaluator.h"

#include <gtest/gtest.h>

#include "homeserver/push/push_rules.h"

namespace myelin::homeserver {
namespace {

json::object message(std::string body, std::string msgtype = "m.text") {
  return json::object{{"type", "m.room.message"},
                      {"sender", "@bob:x"},
                      {"room_id", "!r:x"},
                      {"content", {{"msgtype", msgtype}, {"body", body}}}};
}

PushContext context(std::int64_t members) {
  return PushContext{"@alice:x", "Alice", members, [](std::string_view, std::string_view) { return true; }};
}

TEST(PushEvaluatorTest, OneToOneMessagesNotifyAndNoticesDoNot) {
  json::object rules = default_push_rules("@alice:x");
  EXPECT_TRUE(evaluate_push_rules(rules, message("hi"), context(2)).notify);
  EXPECT_FALSE(evaluate_push_rules(rules, message("hi"), context(2)).highlight);
  EXPECT_FALSE(evaluate_push_rules(rules, message("beep", "m.notice"), context(2)).notify);
  // .m.rule.message is notify in groups too (spec default), without highlight.
  EXPECT_TRUE(evaluate_push_rules(rules, message("hi all"), context(5)).notify);
}

TEST(PushEvaluatorTest, MentionsAndDisplayNameHighlight) {
  json::object rules = default_push_rules("@alice:x");
  json::object mention = message("hey");
  mention["content"].as_object()["m.mentions"] = json::object{{"user_ids", json::array{"@alice:x"}}};
  EXPECT_TRUE(evaluate_push_rules(rules, mention, context(5)).highlight);
  EXPECT_FALSE(evaluate_push_rules(rules, message("Alicent is here"), context(5)).highlight);
}

TEST(PushEvaluatorTest, MasterRuleSilencesAndMemberEventsDoNotNotify) {
  json::object rules = default_push_rules("@alice:x");
  json::object member{
      {"type", "m.room.member"}, {"sender", "@bob:x"}, {"state_key", "@bob:x"}, {"content", {{"membership", "join"}}}};
  EXPECT_FALSE(evaluate_push_rules(rules, member, context(5)).notify);
  (*find_rule(rules, "override", ".m.rule.master").value())["enabled"] = true;
  EXPECT_FALSE(evaluate_push_rules(rules, message("hi"), context(2)).notify);
}

TEST(PushEvaluatorTest, UserContentRuleMatchesWholeWords) {
  json::object rules = default_push_rules("@alice:x");
  json::object body{{"pattern", "tea*"}, {"actions", json::array{"notify", json::object{{"set_tweak", "highlight"}}}}};
  ASSERT_TRUE(put_rule(rules, "content", "tea", body, {}, {}, 100));
  EXPECT_TRUE(evaluate_push_rules(rules, message("time for TEAtime!"), context(5)).highlight);
  EXPECT_FALSE(evaluate_push_rules(rules, message("steam"), context(5)).highlight);
}

// The shared template, read with "@USER@" as the user, judges as the user's filled-in rules.
TEST(PushEvaluatorTest, TheTemplateJudgesAsTheFilledInDefaults) {
  const json::object rules = default_push_rules("@alice:x");
  const json::object& shared = *default_push_rules_template();
  PushContext placeholder = context(5);
  placeholder.user_placeholder = true;
  json::object mention = message("hey");
  mention["content"].as_object()["m.mentions"] = json::object{{"user_ids", json::array{"@alice:x"}}};
  json::object other_mention = message("hey");
  other_mention["content"].as_object()["m.mentions"] = json::object{{"user_ids", json::array{"@carol:x"}}};
  json::object invite{{"type", "m.room.member"},
                      {"sender", "@bob:x"},
                      {"state_key", "@alice:x"},
                      {"content", {{"membership", "invite"}}}};
  json::object other_invite = invite;
  other_invite["state_key"] = "@carol:x";
  for (const json::object* event : {&mention, &other_mention, &invite, &other_invite}) {
    const PushResult filled = evaluate_push_rules(rules, *event, context(5));
    const PushResult read = evaluate_push_rules(shared, *event, placeholder);
    EXPECT_EQ(read.notify, filled.notify) << core::to_string(*event);
    EXPECT_EQ(read.highlight, filled.highlight) << core::to_string(*event);
  }
  EXPECT_TRUE(evaluate_push_rules(shared, mention, placeholder).highlight);
  EXPECT_TRUE(evaluate_push_rules(shared, invite, placeholder).notify);
  EXPECT_FALSE(evaluate_push_rules(shared, mention, context(5)).highlight);  // without the flag, "@USER@" is no one
}

}  // namespace
}  // namespace myelin::homeserver
