// The end-to-end encryption part of the store: key claims, device-list changes, to-device
// inboxes and key backups.
#include <gtest/gtest.h>

#include "storage/store.h"

namespace myelin::storage {
namespace {

std::unique_ptr<Store> memory_store() { return open_sqlite_store({":memory:", false}); }

TEST(E2eeStoreTest, ClaimsTakeOneTimeKeysThenTheFallbackKey) {
  auto store = memory_store();
  KeyUpload upload;
  upload.one_time_keys = {{"signed_curve25519", "AAAAAQ", R"({"key":"one"})"},
                          {"signed_curve25519", "AAAAAg", R"({"key":"two"})"}};
  upload.fallback_keys = {{"signed_curve25519", "AAAAAw", R"({"key":"fallback"})"}};
  store->upload_keys("@a:x", "DEV", upload);
  EXPECT_EQ(store->key_counts("@a:x", "DEV").one_time.at("signed_curve25519"), 2);
  EXPECT_EQ(store->key_counts("@a:x", "DEV").unused_fallback, std::vector<std::string>{"signed_curve25519"});

  EXPECT_EQ(store->claim_key("@a:x", "DEV", "signed_curve25519")->key_id, "AAAAAQ");
  EXPECT_EQ(store->claim_key("@a:x", "DEV", "signed_curve25519")->key_id, "AAAAAg");
  EXPECT_TRUE(store->key_counts("@a:x", "DEV").one_time.empty());
  // No one-time key left: the fallback key, as often as asked, now marked used.
  EXPECT_EQ(store->claim_key("@a:x", "DEV", "signed_curve25519")->key_id, "AAAAAw");
  EXPECT_EQ(store->claim_key("@a:x", "DEV", "signed_curve25519")->key_id, "AAAAAw");
  EXPECT_TRUE(store->key_counts("@a:x", "DEV").unused_fallback.empty());
  EXPECT_FALSE(store->claim_key("@a:x", "DEV", "other_algorithm"));
  EXPECT_FALSE(store->claim_key("@a:x", "NODEVICE", "signed_curve25519"));

  // The same fallback key uploaded again stays used; a new one is unused.
  store->upload_keys("@a:x", "DEV", KeyUpload{std::nullopt, {}, upload.fallback_keys});
  EXPECT_TRUE(store->key_counts("@a:x", "DEV").unused_fallback.empty());
  store->upload_keys("@a:x", "DEV", KeyUpload{std::nullopt, {}, {{"signed_curve25519", "AAAABA", R"({"key":"new"})"}}});
  EXPECT_EQ(store->key_counts("@a:x", "DEV").unused_fallback.size(), 1u);
}

TEST(E2eeStoreTest, KeyChangesAreDeviceListChangesAndDeletionRemovesEverything) {
  auto store = memory_store();
  store->upsert_device({"@a:x", "DEV", "phone", 0, ""});
  const StreamPos start = store->current_pos();
  store->upload_keys("@a:x", "DEV", KeyUpload{R"({"device_id":"DEV"})", {{"alg", "k1", "\"key\""}}, {}});
  const StreamPos uploaded = store->current_pos();
  EXPECT_GT(uploaded, start);
  EXPECT_EQ(store->device_list_changes(start, uploaded, "@b:x"), std::vector<std::string>{"@a:x"});
  // Uploading the same device keys again is no change.
  store->upload_keys("@a:x", "DEV", KeyUpload{R"({"device_id":"DEV"})", {}, {}});
  EXPECT_EQ(store->current_pos(), uploaded);

  // A signature on another user's key is a change only its signer sees.
  store->add_key_signatures({{"@c:x", "MASTER", "@a:x", "ed25519:USK", "sig"}});
  const StreamPos signed_at = store->current_pos();
  EXPECT_EQ(store->device_list_changes(uploaded, signed_at, "@a:x"), std::vector<std::string>{"@c:x"});
  EXPECT_TRUE(store->device_list_changes(uploaded, signed_at, "@b:x").empty());
  EXPECT_EQ(store->key_signatures("@c:x", "@a:x").size(), 1u);
  EXPECT_TRUE(store->key_signatures("@c:x", "@b:x").empty());

  store->add_to_device({{"@a:x", "DEV", "@b:x", "m.test", "{}", 0}}, std::nullopt);
  store->delete_device("@a:x", "DEV");
  EXPECT_FALSE(store->device_keys("@a:x", "DEV"));
  EXPECT_TRUE(store->key_counts("@a:x", "DEV").one_time.empty());
  EXPECT_TRUE(store->to_device_inbox("@a:x", "DEV", 0, 10).empty());
  EXPECT_EQ(store->device_list_changes(signed_at, store->current_pos(), "@b:x"), std::vector<std::string>{"@a:x"});
}

TEST(E2eeStoreTest, ToDeviceMessagesWaitUntilAcknowledgedAndTxnsAreIdempotent) {
  auto store = memory_store();
  const Transaction txn{"@b:x", "BDEV", "t1"};
  std::vector<ToDeviceMessage> messages = {{"@a:x", "DEV", "@b:x", "m.one", R"({"n":1})", 0},
                                           {"@a:x", "DEV", "@b:x", "m.two", R"({"n":2})", 0}};
  EXPECT_TRUE(store->add_to_device(messages, txn));
  EXPECT_FALSE(store->add_to_device(messages, txn));
  auto inbox = store->to_device_inbox("@a:x", "DEV", 0, 10);
  ASSERT_EQ(inbox.size(), 2u);
  EXPECT_LT(inbox[0].pos, inbox[1].pos);
  EXPECT_EQ(inbox[1].pos, store->current_pos());
  EXPECT_EQ(store->to_device_inbox("@a:x", "DEV", 0, 1).size(), 1u);
  store->ack_to_device("@a:x", "DEV", inbox[0].pos);
  inbox = store->to_device_inbox("@a:x", "DEV", 0, 10);
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(inbox[0].type, "m.two");
  EXPECT_TRUE(store->to_device_inbox("@a:x", "OTHER", 0, 10).empty());
}

TEST(E2eeStoreTest, BackupVersionsAreNeverReusedAndCountKeys) {
  auto store = memory_store();
  EXPECT_FALSE(store->backup_version("@a:x", std::nullopt));
  const auto first = store->create_backup_version("@a:x", "alg", R"({"public_key":"p"})");
  store->put_backup_keys("@a:x", first, {{"!r:x", "s1", 0, 0, false, "{}"}, {"!r:x", "s2", 3, 1, true, "{}"}});
  auto version = store->backup_version("@a:x", first);
  ASSERT_TRUE(version);
  EXPECT_EQ(store->backup_key_count("@a:x", first), 2);
  const auto etag = version->etag;
  store->delete_backup_keys("@a:x", first, std::string("!r:x"), std::string("s1"));
  EXPECT_EQ(store->backup_key_count("@a:x", first), 1);
  EXPECT_NE(store->backup_version("@a:x", first)->etag, etag);
  EXPECT_EQ(store->backup_keys("@a:x", first, std::string("!r:x"), std::nullopt).size(), 1u);

  EXPECT_TRUE(store->delete_backup_version("@a:x", first));
  EXPECT_FALSE(store->backup_version("@a:x", first));
  EXPECT_FALSE(store->backup_version("@a:x", std::nullopt));
  EXPECT_FALSE(store->delete_backup_version("@a:x", first));
  const auto second = store->create_backup_version("@a:x", "alg", "{}");
  EXPECT_GT(second, first);
  EXPECT_EQ(store->backup_version("@a:x", std::nullopt)->version, second);
  EXPECT_TRUE(store->backup_keys("@a:x", first, std::nullopt, std::nullopt).empty());
}

}  // namespace
}  // namespace myelin::storage
