#include "core/crypto.h"

#include <gtest/gtest.h>

#include "core/base64.h"

namespace myelin::core {
namespace {

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HmacSha1, KnownVector) {
  EXPECT_EQ(hmac_sha1_hex("key", "The quick brown fox jumps over the lazy dog"),
            "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9");
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_FALSE(constant_time_equal("", "x"));
}

TEST(Password, HashVerifies) {
  const std::string hash = hash_password("correct horse");
  EXPECT_TRUE(hash.starts_with("$argon2id$")) << hash;
  EXPECT_TRUE(verify_password("correct horse", hash));
  EXPECT_FALSE(verify_password("correct horsE", hash));
  EXPECT_FALSE(verify_password("", hash));
  EXPECT_NE(hash_password("correct horse"), hash);  // salted
  EXPECT_FALSE(verify_password("correct horse", ""));
  EXPECT_FALSE(verify_password("correct horse", "$2b$12$notabcrypthashweknow"));
}

TEST(AccessToken, FormatAndDigest) {
  const std::string token = new_access_token();
  EXPECT_TRUE(token.starts_with("myl_"));
  EXPECT_EQ(token.size(), 4u + 43u);
  EXPECT_EQ(base64url_decode(token.substr(4))->size(), 32u);
  EXPECT_NE(token, new_access_token());

  EXPECT_EQ(token_digest(token), token_digest(token));
  EXPECT_EQ(token_digest(token).size(), 32u);
  EXPECT_NE(token_digest(token), token_digest(new_access_token()));
  EXPECT_EQ(hex(token_digest("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace myelin::core
