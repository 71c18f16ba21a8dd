// SigningKey, ed25519 and JSON signatures (signing_key.cc).
#include "core/crypto.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <filesystem>
#include <fstream>

#include "core/base64.h"

namespace myelin::core {
namespace {

json::object parse_object(std::string_view text) {
  Result<json::object> o = parse_json_object(text);
  EXPECT_TRUE(o.has_value()) << text;
  return o ? *o : json::object();
}

// appendices.md, "Cryptographic Test Vectors".
constexpr std::string_view kSpecSeed = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1";

SigningKey spec_key() {
  auto seed = base64_decode(kSpecSeed);
  EXPECT_TRUE(seed);
  auto key = SigningKey::from_seed("1", seed.value_or(""));
  EXPECT_TRUE(key);
  return *key;
}

TEST(SignJson, SpecEmptyObject) {
  json::object object;
  sign_json(object, "domain", spec_key());
  EXPECT_EQ(canonical_json(object),
            R"({"signatures":{"domain":{"ed25519:1":"K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdG)"
            R"(YI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"}}})");
}

TEST(SignJson, SpecObjectWithData) {
  json::object object = parse_object(R"({"one": 1, "two": "Two"})");
  sign_json(object, "domain", spec_key());
  EXPECT_EQ(canonical_json(object),
            R"({"one":1,"signatures":{"domain":{"ed25519:1":"KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2)"
            R"(sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw"}},"two":"Two"})");
}

TEST(SignJson, SpecMinimalEventSignatureAndHash) {
  // "Event Signing": the minimal event has nothing for redaction to strip, so the signature is
  // sign_json over the event with its content hash; the hash covers it without
  // signatures, unsigned and hashes.
  json::object event = parse_object(R"({
    "room_id": "!x:domain", "sender": "@a:domain", "origin": "domain",
    "origin_server_ts": 1000000, "signatures": {}, "hashes": {}, "type": "X", "content": {},
    "prev_events": [], "auth_events": [], "depth": 3, "unsigned": {"age_ts": 1000000}})");
  json::object hashed = event;
  hashed.erase("signatures");
  hashed.erase("unsigned");
  hashed.erase("hashes");
  EXPECT_EQ(base64_encode(sha256(canonical_json(hashed))), "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos");
  event["hashes"] = json::object{{"sha256", "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos"}};
  sign_json(event, "domain", spec_key());
  EXPECT_EQ(event.at("signatures").at("domain").at("ed25519:1").as_string(),
            "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg");
  EXPECT_EQ(event.at("unsigned").at("age_ts").as_int64(), 1000000);  // kept, not signed
}

TEST(SignJson, KeepsOtherSignaturesAndUnsigned) {
  json::object object = parse_object(
      R"({"one":1,"unsigned":{"age":5},"signatures":{"other.org":{"ed25519:x":"abc"},
          "domain":{"ed25519:old":"def"}}})");
  sign_json(object, "domain", spec_key());
  EXPECT_EQ(object.at("signatures").at("other.org").at("ed25519:x").as_string(), "abc");
  EXPECT_EQ(object.at("signatures").at("domain").at("ed25519:old").as_string(), "def");
  EXPECT_EQ(object.at("unsigned").at("age").as_int64(), 5);
  // Existing signatures and unsigned do not change what is signed.
  json::object plain = parse_object(R"({"one":1})");
  sign_json(plain, "domain", spec_key());
  EXPECT_EQ(object.at("signatures").at("domain").at("ed25519:1"), plain.at("signatures").at("domain").at("ed25519:1"));
}

TEST(VerifyJson, AcceptsValidAndRefusesTampered) {
  const SigningKey key = spec_key();
  json::object object = parse_object(R"({"one": 1, "two": "Two"})");
  sign_json(object, "domain", key);
  const std::string pk = key.public_key_base64();
  EXPECT_TRUE(verify_json(object, "domain", "ed25519:1", pk));

  object["unsigned"] = json::object{{"age", 1}};  // not covered by the signature
  EXPECT_TRUE(verify_json(object, "domain", "ed25519:1", pk));

  EXPECT_FALSE(verify_json(object, "other", "ed25519:1", pk));
  EXPECT_FALSE(verify_json(object, "domain", "ed25519:2", pk));
  EXPECT_FALSE(verify_json(object, "domain", "ed25519:1", SigningKey::generate("1").public_key_base64()));
  EXPECT_FALSE(verify_json(object, "domain", "ed25519:1", "not base64!"));

  json::object tampered = object;
  tampered["two"] = "Three";
  EXPECT_FALSE(verify_json(tampered, "domain", "ed25519:1", pk));

  json::object bad_sig = object;
  bad_sig["signatures"].as_object()["domain"].as_object()["ed25519:1"] = "%%%";
  EXPECT_FALSE(verify_json(bad_sig, "domain", "ed25519:1", pk));
  json::object unsigned_obj = parse_object(R"({"one":1})");
  EXPECT_FALSE(verify_json(unsigned_obj, "domain", "ed25519:1", pk));
}

TEST(VerifyEd25519, RawMessages) {
  const SigningKey key = SigningKey::generate("abc");
  EXPECT_EQ(key.key_id(), "ed25519:abc");
  const std::string sig = key.sign("hello");
  EXPECT_EQ(base64_decode(sig)->size(), 64u);
  EXPECT_TRUE(verify_ed25519(key.public_key_base64(), "hello", sig));
  EXPECT_FALSE(verify_ed25519(key.public_key_base64(), "hellO", sig));
  EXPECT_FALSE(verify_ed25519(key.public_key_base64().substr(4), "hello", sig));
  EXPECT_FALSE(verify_ed25519(key.public_key_base64(), "hello", sig.substr(4)));
}

TEST(SigningKey, GenerateUsesRandomVersionWhenEmpty) {
  const SigningKey a = SigningKey::generate("");
  ASSERT_EQ(a.key_id().size(), std::string("ed25519:a_XXXX").size());
  EXPECT_TRUE(a.key_id().starts_with("ed25519:a_"));
  EXPECT_NE(a.public_key_base64(), SigningKey::generate("").public_key_base64());
  EXPECT_FALSE(SigningKey::from_seed("1", "short"));
}

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("myelin_core_test_" + std::to_string(::getpid()) + "_" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const char* name) const { return (dir_ / name).string(); }
  static void write(const std::string& p, std::string_view content) { std::ofstream(p) << content; }
  std::filesystem::path dir_;
};

TEST_F(KeyFileTest, CreatesThenReloadsSameKey) {
  const std::string p = path("signing.key");
  Result<SigningKey> created = SigningKey::load_or_create(p);
  ASSERT_TRUE(created) << created.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::ifstream in(p);
  std::string algorithm, version, seed;
  in >> algorithm >> version >> seed;
  EXPECT_EQ(algorithm, "ed25519");
  EXPECT_EQ("ed25519:" + version, created->key_id());
  EXPECT_EQ(seed, created->seed_base64());
  EXPECT_EQ(base64_decode(seed)->size(), 32u);

  Result<SigningKey> loaded = SigningKey::load_or_create(p);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->key_id(), created->key_id());
  EXPECT_EQ(loaded->public_key_base64(), created->public_key_base64());
}

TEST_F(KeyFileTest, ReadsSynapseFormat) {
  const std::string p = path("synapse.signing.key");
  write(p, "ed25519 1 " + std::string(kSpecSeed) + "\n");
  Result<SigningKey> key = SigningKey::load_or_create(p);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->key_id(), "ed25519:1");
  EXPECT_EQ(key->public_key_base64(), spec_key().public_key_base64());
  json::object object;
  sign_json(object, "domain", *key);
  EXPECT_EQ(object.at("signatures").at("domain").at("ed25519:1").as_string(),
            "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ");
}

TEST_F(KeyFileTest, RefusesMalformedFiles) {
  for (std::string_view content :
       {"", "\n\n", "ed25519 1\n", "rsa 1 AAAA\n", "ed25519 1 not-base64!\n", "ed25519 1 Zm9v\n",
        "ed25519 1 YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1 extra\n"}) {
    const std::string p = path("bad.key");
    write(p, content);
    Result<SigningKey> key = SigningKey::load_or_create(p);
    ASSERT_FALSE(key) << content;
    EXPECT_EQ(key.error().errcode, "M_UNKNOWN");
  }
}

TEST_F(KeyFileTest, FailsWhenDirectoryIsMissing) {
  Result<SigningKey> key = SigningKey::load_or_create(path("no/such/dir/signing.key"));
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().errcode, "M_UNKNOWN");
}

}  // namespace
}  // namespace myelin::core
