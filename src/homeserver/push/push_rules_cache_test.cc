#include "homeserver/push/push_rules_cache.h"

#include <gtest/gtest.h>

#include "homeserver/push/push_rules.h"
#include "storage/store.h"

namespace myelin::homeserver {
namespace {

TEST(PushRulesCacheTest, ReusesARulesetUntilItsStoredTextChanges) {
  auto store = storage::open_sqlite_store({":memory:", false});
  PushRulesCache cache;
  EXPECT_EQ(*cache.rules(*store, "@a:x"), default_push_rules("@a:x"));
  EXPECT_EQ(*cache.rules(*store, "@b:x"), default_push_rules("@b:x"));

  json::object changed = default_push_rules("@a:x");
  changed["global"].as_object()["override"].as_array().clear();
  save_push_rules(*store, "@a:x", changed);
  auto reloaded = cache.rules(*store, "@a:x");
  EXPECT_EQ(*reloaded, changed);
  EXPECT_EQ(cache.rules(*store, "@a:x"), reloaded);
}

}  // namespace
}  // namespace myelin::homeserver
