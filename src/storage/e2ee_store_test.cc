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

// v1.13: one-time keys go out in upload order, oldest upload first, whatever their key IDs.
TEST(E2eeStoreTest, ClaimsTakeTheOldestUploadedKeyFirst) {
  auto store = memory_store();
  store->upload_keys("@a:x", "DEV", KeyUpload{std::nullopt, {{"signed_curve25519", "zzz", "\"old\""}}, {}});
  store->upload_keys(
      "@a:x", "DEV",
      KeyUpload{
          std::nullopt, {{"signed_curve25519", "mmm", "\"middle\""}, {"other_algorithm", "aaa", "\"other\""}}, {}});
  store->upload_keys("@a:x", "DEV", KeyUpload{std::nullopt, {{"signed_curve25519", "aaa", "\"new\""}}, {}});
  // A key uploaded again changes nothing, its place included.
  store->upload_keys("@a:x", "DEV", KeyUpload{std::nullopt, {{"signed_curve25519", "zzz", "\"old\""}}, {}});
  EXPECT_EQ(store->claim_key("@a:x", "DEV", "signed_curve25519")->key_id, "zzz");
  EXPECT_EQ(store->claim_key("@a:x", "DEV", "signed_curve25519")->key_id, "mmm");
  // Keys uploaded after a claim still come after the ones waiting.
  store->upload_keys("@a:x", "DEV", KeyUpload{std::nullopt, {{"signed_curve25519", "000", "\"newest\""}}, {}});
  EXPECT_EQ(store->claim_key("@a:x", "DEV", "signed_curve25519")->key_id, "aaa");
  EXPECT_EQ(store->claim_key("@a:x", "DEV", "signed_curve25519")->key_id, "000");
  EXPECT_EQ(store->claim_key("@a:x", "DEV", "other_algorithm")->key_id, "aaa");
  EXPECT_FALSE(store->claim_key("@a:x", "DEV", "signed_curve25519"));
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

  store->add_to_device({{"@a:x", "DEV", "@b:x", "m.test", "{}", 0}}, std::nullopt, {});
  store->delete_device("@a:x", "DEV");
  EXPECT_FALSE(store->device_keys("@a:x", "DEV"));
  EXPECT_TRUE(store->key_counts("@a:x", "DEV").one_time.empty());
  EXPECT_TRUE(store->to_device_inbox("@a:x", "DEV", 0, 10).empty());
  EXPECT_EQ(store->device_list_changes(signed_at, store->current_pos(), "@b:x"), std::vector<std::string>{"@a:x"});
}

TEST(E2eeStoreTest, ToDeviceMessagesWaitUntilAcknowledgedAndTxnsAreIdempotent) {
  auto store = memory_store();
  const Transaction txn{"@b:x", "BDEV", "/sendToDevice/m.one/t1", "t1"};
  std::vector<ToDeviceMessage> messages = {{"@a:x", "DEV", "@b:x", "m.one", R"({"n":1})", 0},
                                           {"@a:x", "DEV", "@b:x", "m.two", R"({"n":2})", 0}};
  EXPECT_TRUE(store->add_to_device(messages, txn, {}));
  EXPECT_FALSE(store->add_to_device(messages, txn, {}));
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

std::vector<std::string> inbox_types(Store& store, const std::string& device) {
  std::vector<std::string> types;
  for (const auto& message : store.to_device_inbox("@a:x", device, 0, 100)) types.push_back(message.type);
  return types;
}

TEST(E2eeStoreTest, FullInboxesLoseTheirOldestMessages) {
  auto store = memory_store();
  auto to_dev = [](const std::string& type, std::string content = "{}") {
    return ToDeviceMessage{"@a:x", "DEV", "@b:x", type, std::move(content), 0};
  };
  const InboxLimits three{3, 0};
  store->add_to_device({to_dev("m.1"), to_dev("m.2")}, std::nullopt, three);
  store->add_to_device({to_dev("m.3"), to_dev("m.4"), to_dev("m.5")}, std::nullopt, three);
  EXPECT_EQ(inbox_types(*store, "DEV"), (std::vector<std::string>{"m.3", "m.4", "m.5"}));
  // Acknowledged messages no longer count.
  store->ack_to_device("@a:x", "DEV", store->to_device_inbox("@a:x", "DEV", 0, 1)[0].pos);
  store->add_to_device({to_dev("m.6")}, std::nullopt, three);
  EXPECT_EQ(inbox_types(*store, "DEV"), (std::vector<std::string>{"m.4", "m.5", "m.6"}));
  // Bytes of content: 10 bytes hold {"n":12} (8) but not two of them.
  const InboxLimits ten_bytes{0, 10};
  store->add_to_device({to_dev("m.7", R"({"n":12})")}, std::nullopt, ten_bytes);
  EXPECT_EQ(inbox_types(*store, "DEV"), (std::vector<std::string>{"m.6", "m.7"}));
  store->add_to_device({to_dev("m.8", R"({"n":34})")}, std::nullopt, ten_bytes);
  EXPECT_EQ(inbox_types(*store, "DEV"), (std::vector<std::string>{"m.8"}));
}

TEST(E2eeStoreTest, IdleDevicesLoseTheirInboxes) {
  auto store = memory_store();
  store->upsert_device({"@a:x", "OLD", "", 1000, ""});
  store->upsert_device({"@a:x", "NEW", "", 5000, ""});
  store->add_to_device({{"@a:x", "OLD", "@b:x", "m.1", "{}", 0},
                        {"@a:x", "OLD", "@b:x", "m.2", "{}", 0},
                        {"@a:x", "NEW", "@b:x", "m.3", "{}", 0}},
                       std::nullopt, {});
  EXPECT_EQ(store->expire_idle_inboxes(1000), 0);
  EXPECT_EQ(store->expire_idle_inboxes(2000), 2);
  EXPECT_TRUE(inbox_types(*store, "OLD").empty());
  EXPECT_EQ(inbox_types(*store, "NEW"), std::vector<std::string>{"m.3"});
  EXPECT_EQ(store->expire_idle_inboxes(2000), 0);
  // A new message for the emptied inbox starts from zero.
  store->add_to_device({{"@a:x", "OLD", "@b:x", "m.4", "{}", 0}}, std::nullopt, {1, 0});
  EXPECT_EQ(inbox_types(*store, "OLD"), std::vector<std::string>{"m.4"});
}

TEST(E2eeStoreTest, BackupVersionsAreNeverReusedAndCountKeys) {
  auto store = memory_store();
  EXPECT_FALSE(store->backup_version("@a:x", std::nullopt));
  const auto first = store->create_backup_version("@a:x", "alg", R"({"public_key":"p"})", 10);
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
  const auto second = store->create_backup_version("@a:x", "alg", "{}", 10);
  EXPECT_GT(second, first);
  EXPECT_EQ(store->backup_version("@a:x", std::nullopt)->version, second);
  EXPECT_TRUE(store->backup_keys("@a:x", first, std::nullopt, std::nullopt).empty());
}

TEST(E2eeStoreTest, BackupKeyCountsAreKeptAndOldVersionsGoBeyondTheBound) {
  auto store = memory_store();
  const auto first = store->create_backup_version("@a:x", "alg", "{}", 2);
  store->put_backup_keys("@a:x", first, {{"!r:x", "s1", 0, 0, false, "{}"}, {"!r:x", "s2", 0, 0, false, "{}"}});
  store->put_backup_keys("@a:x", first, {{"!r:x", "s1", 0, 0, true, "{}"}});  // a replacement is no new key
  EXPECT_EQ(store->backup_key_count("@a:x", first), 2);
  EXPECT_TRUE(store->backup_keys("@a:x", first, std::string("!r:x"), std::string("s1"))[0].is_verified);
  const auto second = store->create_backup_version("@a:x", "alg", "{}", 2);
  store->put_backup_keys("@a:x", second, {{"!r:x", "s1", 0, 0, false, "{}"}});
  EXPECT_EQ(store->user_backup_key_count("@a:x"), 3);
  store->delete_backup_keys("@a:x", first, std::string("!r:x"), std::nullopt);
  EXPECT_EQ(store->backup_key_count("@a:x", first), 0);
  EXPECT_EQ(store->user_backup_key_count("@a:x"), 1);
  store->put_backup_keys("@a:x", first, {{"!r:x", "s3", 0, 0, false, "{}"}});
  // A third version deletes the oldest, keys and all; numbers still only grow.
  const auto third = store->create_backup_version("@a:x", "alg", "{}", 2);
  EXPECT_FALSE(store->backup_version("@a:x", first));
  EXPECT_TRUE(store->backup_version("@a:x", second));
  EXPECT_EQ(store->user_backup_key_count("@a:x"), 1);
  EXPECT_TRUE(store->delete_backup_version("@a:x", third));
  EXPECT_TRUE(store->delete_backup_version("@a:x", second));
  EXPECT_EQ(store->user_backup_key_count("@a:x"), 0);
  EXPECT_GT(store->create_backup_version("@a:x", "alg", "{}", 2), third);
}

}  // namespace
}  // namespace myelin::storage
