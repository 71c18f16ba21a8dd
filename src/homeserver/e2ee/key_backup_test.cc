#include "homeserver/e2ee/key_backup.h"

#include <gtest/gtest.h>

#include "storage/store.h"

namespace myelin::homeserver {
namespace {

json::object key(std::int64_t first_index, std::int64_t forwarded, bool verified, std::string_view marker) {
  return json::object{{"first_message_index", first_index},
                      {"forwarded_count", forwarded},
                      {"is_verified", verified},
                      {"session_data", json::object{{"marker", marker}}}};
}

class KeyBackupTest : public ::testing::Test {
 protected:
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  E2eeOptions config = [] {
    E2eeOptions c;
    c.backup_keys_per_user = 3;
    return c;
  }();
  KeyBackup backup{config, *store};
  const std::string user = "@a:x";
  const std::string room = "!r:x";

  std::string version() {
    auto created = backup.create_version(user, {{"algorithm", "m.megolm_backup.v1.curve25519-aes-sha2"},
                                                {"auth_data", json::object{{"public_key", "abc"}}}});
    return std::string(created->at("version").as_string());
  }
  std::string stored_marker(const std::string& v) {
    auto got = backup.get_keys(user, v, room, std::string("s"));
    return std::string(got->at("session_data").at("marker").as_string());
  }
  void put(const std::string& v, json::object k) { ASSERT_TRUE(backup.put_keys(user, v, room, std::string("s"), k)); }
};

TEST_F(KeyBackupTest, StoredKeyIsReplacedOnlyByABetterOne) {
  const std::string v = version();
  put(v, key(5, 1, false, "first"));
  put(v, key(6, 0, false, "later index"));  // higher first_message_index: kept out
  EXPECT_EQ(stored_marker(v), "first");
  put(v, key(5, 2, false, "more forwarded"));  // same index, more forwards: kept out
  EXPECT_EQ(stored_marker(v), "first");
  put(v, key(5, 0, false, "fewer forwarded"));
  EXPECT_EQ(stored_marker(v), "fewer forwarded");
  put(v, key(2, 9, false, "lower index"));
  EXPECT_EQ(stored_marker(v), "lower index");
  put(v, key(9, 9, true, "verified"));  // verified beats everything unverified
  EXPECT_EQ(stored_marker(v), "verified");
  put(v, key(0, 0, false, "unverified"));
  EXPECT_EQ(stored_marker(v), "verified");
  auto info = backup.version(user, v);
  EXPECT_EQ(info->at("count").as_int64(), 1);
}

TEST_F(KeyBackupTest, OnlyTheLatestVersionTakesKeys) {
  const std::string old_version = version();
  const std::string latest = version();
  auto refused = backup.put_keys(user, old_version, room, std::string("s"), key(0, 0, false, "x"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errcode, "M_WRONG_ROOM_KEYS_VERSION");
  EXPECT_EQ(refused.error().http_status, 403);
  EXPECT_EQ(refused.error().extra.at("current_version").as_string(), latest);
  EXPECT_EQ(backup.put_keys(user, "99", room, std::nullopt, {{"sessions", json::object{}}}).error().errcode,
            "M_WRONG_ROOM_KEYS_VERSION");
  // A deleted version is not the current one either; with no backup at all, there is nothing.
  ASSERT_TRUE(backup.delete_version(user, latest));
  auto deleted = backup.put_keys(user, latest, room, std::string("s"), key(0, 0, false, "x"));
  EXPECT_EQ(deleted.error().errcode, "M_WRONG_ROOM_KEYS_VERSION");
  EXPECT_EQ(deleted.error().extra.at("current_version").as_string(), old_version);
  ASSERT_TRUE(backup.delete_version(user, old_version));
  EXPECT_EQ(backup.put_keys(user, old_version, room, std::string("s"), key(0, 0, false, "x")).error().errcode,
            "M_NOT_FOUND");
  const std::string newest = version();
  EXPECT_EQ(backup.version(user, "nonsense").error().errcode, "M_NOT_FOUND");
  auto malformed = backup.put_keys(user, newest, room, std::nullopt, {{"sessions", {{"s", {{"is_verified", 1}}}}}});
  EXPECT_EQ(malformed.error().errcode, "M_BAD_JSON");
  EXPECT_EQ(backup.version(user, newest)->at("count").as_int64(), 0);
}

TEST_F(KeyBackupTest, EtagChangesWithKeysAndBulkShapesAgree) {
  const std::string v = version();
  const auto etag = std::string(backup.version(user, v)->at("etag").as_string());
  auto put = backup.put_keys(
      user, v, std::nullopt, std::nullopt,
      {{"rooms", {{room, {{"sessions", {{"s1", key(0, 0, false, "a")}, {"s2", key(0, 0, false, "b")}}}}}}}});
  ASSERT_TRUE(put);
  EXPECT_EQ(put->at("count").as_int64(), 2);
  EXPECT_NE(put->at("etag").as_string(), etag);
  auto all = backup.get_keys(user, v, std::nullopt, std::nullopt);
  EXPECT_EQ(all->at("rooms").at(room).at("sessions").as_object().size(), 2u);
  auto deleted = backup.delete_keys(user, v, room, std::nullopt);
  EXPECT_EQ(deleted->at("count").as_int64(), 0);
  EXPECT_TRUE(backup.get_keys(user, v, room, std::nullopt)->at("sessions").as_object().empty());
  EXPECT_EQ(backup.get_keys(user, v, room, std::string("s1")).error().errcode, "M_NOT_FOUND");
}

TEST_F(KeyBackupTest, KeysAreBoundedPerUserAcrossVersionsAndInSize) {
  const std::string old_version = version();
  put(old_version, key(0, 0, false, "kept in the old version"));
  const std::string v = version();
  ASSERT_TRUE(backup.put_keys(user, v, room, std::nullopt,
                              {{"sessions", {{"s1", key(0, 0, false, "a")}, {"s2", key(0, 0, false, "b")}}}}));
  // The old version's key counts: a fourth key for the user is refused, the whole upload with it.
  auto refused = backup.put_keys(user, v, room, std::nullopt,
                                 {{"sessions", {{"s1", key(0, 0, true, "better")}, {"s3", key(0, 0, false, "c")}}}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errcode, "M_FORBIDDEN");
  EXPECT_EQ(backup.version(user, v)->at("count").as_int64(), 2);
  // A better key for a session already kept is no new key.
  EXPECT_TRUE(backup.put_keys(user, v, room, std::string("s1"), key(0, 0, true, "better")));
  ASSERT_TRUE(backup.delete_version(user, old_version));
  EXPECT_TRUE(backup.put_keys(user, v, room, std::string("s3"), key(0, 0, false, "c")));

  json::object big = key(0, 0, false, std::string(9000, 'x'));
  EXPECT_EQ(backup.put_keys(user, v, room, std::string("s1"), big).error().errcode, "M_TOO_LARGE");
}

}  // namespace
}  // namespace myelin::homeserver
