#include "homeserver/federation/server_keys.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace myelin::homeserver {
namespace {

constexpr std::int64_t kNow = 1'700'000'000'000;

TEST(ServerKeys, OwnDocumentParsesBackWithItsOldKeys) {
  const auto key = core::SigningKey::generate("new");
  const auto old = core::SigningKey::generate("old");
  const json::object document = own_key_document("a.example", key, {{old.key_id(), old.public_key_base64(), 5}}, kNow);
  EXPECT_EQ(document.at("valid_until_ts").as_int64(), kNow + kOwnKeysValidityMs);

  auto keys = parse_server_keys(document, "a.example", kNow);
  ASSERT_TRUE(keys) << keys.error().message;
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].key_id, "ed25519:new");
  EXPECT_EQ((*keys)[0].public_key, key.public_key_base64());
  EXPECT_FALSE((*keys)[0].expired_ts);
  EXPECT_EQ((*keys)[1].key_id, "ed25519:old");
  EXPECT_EQ((*keys)[1].expired_ts, 5);
}

TEST(ServerKeys, RefusesDocumentsThatAreNotTheServersOwn) {
  const auto key = core::SigningKey::generate("k");
  const json::object document = own_key_document("a.example", key, {}, kNow);
  EXPECT_FALSE(parse_server_keys(document, "b.example", kNow));  // another server's name

  json::object tampered = document;
  tampered["valid_until_ts"] = kNow + 1;
  EXPECT_FALSE(parse_server_keys(tampered, "a.example", kNow));  // the signature no longer verifies

  json::object unsigned_doc = document;
  unsigned_doc.erase("signatures");
  EXPECT_FALSE(parse_server_keys(unsigned_doc, "a.example", kNow));

  // Signed by a key it does not list: no signature by one of its keys.
  const auto other = core::SigningKey::generate("other");
  json::object foreign{{"server_name", "a.example"},
                       {"valid_until_ts", kNow},
                       {"verify_keys", json::object{{key.key_id(), json::object{{"key", key.public_key_base64()}}}}}};
  core::sign_json(foreign, "a.example", other);
  EXPECT_FALSE(parse_server_keys(foreign, "a.example", kNow));

  EXPECT_FALSE(parse_server_keys(json::value("keys"), "a.example", kNow));
}

TEST(ServerKeys, ValidityIsCappedAtSevenDaysAndKeyCountIsBounded) {
  const auto key = core::SigningKey::generate("k");
  json::object document{{"server_name", "a.example"},
                        {"valid_until_ts", kNow + 365LL * 24 * 3600 * 1000},
                        {"verify_keys", json::object{{key.key_id(), json::object{{"key", key.public_key_base64()}}}}}};
  core::sign_json(document, "a.example", key);
  auto keys = parse_server_keys(document, "a.example", kNow);
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->at(0).valid_until_ts, kNow + kMaxKeyValidityMs);

  json::object many = document;
  json::object old;
  for (int i = 0; i < 16; ++i)
    old["ed25519:o" + std::to_string(i)] = json::object{{"key", key.public_key_base64()}, {"expired_ts", 1}};
  many["old_verify_keys"] = old;
  many.erase("signatures");
  core::sign_json(many, "a.example", key);
  EXPECT_FALSE(parse_server_keys(many, "a.example", kNow));
}

TEST(ServerKeys, OldKeysFileKeepsTheNewestTen) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("myelin-old-keys-" + std::to_string(::getpid()))).string();
  EXPECT_TRUE(load_old_keys(path)->empty());  // no file: no old keys
  const auto key = core::SigningKey::generate("k");
  std::vector<OldVerifyKey> keys;
  for (int i = 0; i < 12; ++i) keys.push_back({"ed25519:v" + std::to_string(i), key.public_key_base64(), i});
  ASSERT_TRUE(save_old_keys(path, keys));
  auto loaded = load_old_keys(path);
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->size(), kMaxOldKeys);
  EXPECT_EQ(loaded->front().key_id, "ed25519:v2");
  EXPECT_EQ(loaded->back().expired_ts, 11);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace myelin::homeserver
