#include "homeserver/accounts/account_data.h"

#include <gtest/gtest.h>

#include <vector>

#include "storage/store.h"

namespace myelin::homeserver {
namespace {

struct AccountDataFixture : ::testing::Test {
  AccountsOptions config;
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  std::vector<std::string> woken;
  AccountData data{config, *store, [this](const std::string& user_id) { woken.push_back(user_id); }};
  const std::string user = "@a:localhost";
};

TEST_F(AccountDataFixture, StoresReadsAndWakesTheUser) {
  ASSERT_TRUE(data.set(user, "", "m.direct", json::object{{"k", 1}}));
  auto read = data.get(user, "", "m.direct");
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, (json::object{{"k", 1}}));
  EXPECT_EQ(woken, std::vector<std::string>{user});
  EXPECT_EQ(data.get(user, "!r:localhost", "m.direct").error().errcode, "M_NOT_FOUND");
}

TEST_F(AccountDataFixture, ServerManagedTypesAreRefusedWith405) {
  for (const char* type : {"m.fully_read", "m.push_rules"}) {
    auto refused = data.set(user, "", type, json::object{});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().errcode, "M_BAD_JSON");
    EXPECT_EQ(refused.error().http_status, 405);
  }
  EXPECT_EQ(data.set(user, "", "", json::object{}).error().errcode, "M_INVALID_PARAM");
  EXPECT_TRUE(woken.empty());
}

TEST_F(AccountDataFixture, TheIgnoredUserListMustHaveTheSpecsShape) {
  const json::object good{{"ignored_users", {{"@b:localhost", json::object{}}}}};
  EXPECT_TRUE(data.set(user, "", "m.ignored_user_list", good));
  EXPECT_TRUE(data.set(user, "", "m.ignored_user_list", json::object{}));  // emptied
  for (const json::object& bad :
       {json::object{{"ignored_users", json::array{"@b:localhost"}}}, json::object{{"ignored_users", "@b:localhost"}},
        json::object{{"other", 1}}, json::object{{"ignored_users", {{"b:localhost", json::object{}}}}},
        json::object{{"ignored_users", {{"@b:localhost", true}}}}})
    EXPECT_EQ(data.set(user, "", "m.ignored_user_list", bad).error().errcode, "M_BAD_JSON") << bad;
  // A room's entry of that type is not the list: free-form like any other.
  EXPECT_TRUE(data.set(user, "!r:localhost", "m.ignored_user_list", json::object{{"other", 1}}));
}

// A new entry beyond the bound is refused; an existing one (emptied too) may always be
// written again; a value over the byte bound is too large.
TEST_F(AccountDataFixture, Bounds) {
  config.account_data_entries = 2;
  config.account_data_value_bytes = 20;
  ASSERT_TRUE(data.set(user, "", "t.one", json::object{}));
  ASSERT_TRUE(data.set(user, "", "t.two", json::object{}));
  EXPECT_EQ(data.set(user, "", "t.three", json::object{}).error().errcode, "M_FORBIDDEN");
  EXPECT_TRUE(data.set(user, "", "t.one", json::object{{"v", 1}}));
  EXPECT_EQ(data.set(user, "", "t.two", json::object{{"v", std::string(30, 'x')}}).error().errcode, "M_TOO_LARGE");
}

TEST_F(AccountDataFixture, TagsAreKeptInMTag) {
  const std::string room = "!r:localhost";
  EXPECT_TRUE(data.tags(user, room).empty());
  ASSERT_TRUE(data.set_tag(user, room, "u.work", json::object{{"order", 0.5}}));
  ASSERT_TRUE(data.set_tag(user, room, "m.favourite", json::object{}));
  EXPECT_EQ(data.tags(user, room),
            (json::object{{"u.work", json::object{{"order", 0.5}}}, {"m.favourite", json::object{}}}));
  ASSERT_TRUE(data.delete_tag(user, room, "u.work"));
  EXPECT_EQ(data.tags(user, room), (json::object{{"m.favourite", json::object{}}}));
  woken.clear();
  ASSERT_TRUE(data.delete_tag(user, room, "u.none"));  // nothing to delete: nothing written
  EXPECT_TRUE(woken.empty());
}

}  // namespace
}  // namespace myelin::homeserver
