#include "homeserver/push/push_rules_cache.h"

#include <gtest/gtest.h>

#include "homeserver/push/push_rules.h"
#include "storage/store.h"

namespace myelin::homeserver {
namespace {

TEST(PushRulesCacheTest, ReusesARulesetUntilItsStoredTextChanges) {
  auto store = storage::open_sqlite_store({":memory:", false});
  PushRulesCache cache;
  // Users with the defaults share the template, read with the placeholder.
  const PushRuleset defaults = cache.rules(*store, "@a:x");
  EXPECT_EQ(defaults.rules, default_push_rules_template());
  EXPECT_TRUE(defaults.user_placeholder);
  EXPECT_EQ(cache.rules(*store, "@b:x").rules, defaults.rules);

  json::object changed = default_push_rules("@a:x");
  changed["global"].as_object()["override"].as_array().clear();
  save_push_rules(*store, "@a:x", changed);
  const PushRuleset reloaded = cache.rules(*store, "@a:x");
  EXPECT_EQ(*reloaded.rules, changed);
  EXPECT_FALSE(reloaded.user_placeholder);
  EXPECT_EQ(cache.rules(*store, "@a:x").rules, reloaded.rules);  // the same object: not parsed again
}

}  // namespace
}  // namespace myelin::homeserver
