#include "homeserver/push/push_rules_cache.h"

#include <gtest/gtest.h>

#include "homeserver/push/push_rules.h"
#include "storage/store.h"

namespace myelin::homeserver {
namespace {

TEST(PushRulesCacheTest, ReusesARulesetUntilItsStoredTextChanges) {
  auto store = storage::open_sqlite_store({":memory:", false});
  PushRulesCache cache;
  auto defaults = cache.rules(*store, "@a:x");
  EXPECT_EQ(*defaults, default_push_rules("@a:x"));
  EXPECT_EQ(cache.rules(*store, "@a:x"), defaults);  // the same object: nothing built again
  EXPECT_NE(cache.rules(*store, "@b:x"), defaults);  // each user their own

  json::object changed = default_push_rules("@a:x");
  changed["global"].as_object()["override"].as_array().clear();
  save_push_rules(*store, "@a:x", changed);
  auto reloaded = cache.rules(*store, "@a:x");
  EXPECT_EQ(*reloaded, changed);
  EXPECT_EQ(cache.rules(*store, "@a:x"), reloaded);
}

}  // namespace
}  // namespace myelin::homeserver
