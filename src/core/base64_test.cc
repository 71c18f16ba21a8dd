#include "core/base64.h"

#include <gtest/gtest.h>

namespace myelin::core {
namespace {

// appendices.md, "Unpadded Base64".
const std::pair<const char*, const char*> kSpecExamples[] = {
    {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
    {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
};

TEST(Base64, SpecExamplesEncode) {
  for (auto [plain, encoded] : kSpecExamples) {
    EXPECT_EQ(base64_encode(plain), encoded) << plain;
    EXPECT_EQ(base64url_encode(plain), encoded) << plain;
  }
}

TEST(Base64, SpecExamplesDecode) {
  for (auto [plain, encoded] : kSpecExamples) {
    EXPECT_EQ(base64_decode(encoded), std::string(plain)) << encoded;
    EXPECT_EQ(base64url_decode(encoded), std::string(plain)) << encoded;
  }
}

TEST(Base64, DecodeAcceptsPadding) {
  EXPECT_EQ(base64_decode("Zg=="), std::string("f"));
  EXPECT_EQ(base64_decode("Zm8="), std::string("fo"));
  EXPECT_EQ(base64url_decode("Zm9vYg=="), std::string("foob"));
}

TEST(Base64, DecodeRejectsBadPadding) {
  EXPECT_FALSE(base64_decode("Zg="));
  EXPECT_FALSE(base64_decode("Zg==="));
  EXPECT_FALSE(base64_decode("Zm9v="));
  EXPECT_FALSE(base64_decode("===="));
  EXPECT_FALSE(base64_decode("Z=g="));
}

TEST(Base64, DecodeRejectsBadCharactersAndLength) {
  EXPECT_FALSE(base64_decode("Z"));  // 6 bits cannot make a byte
  EXPECT_FALSE(base64_decode("Zm9vY"));
  EXPECT_FALSE(base64_decode("Zm 9v"));
  EXPECT_FALSE(base64_decode("Zm9v\n"));
  EXPECT_FALSE(base64_decode("Zm9v!"));
}

TEST(Base64, AlphabetsDiffer) {
  const std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(base64_encode(bytes), "+/+/");
  EXPECT_EQ(base64url_encode(bytes), "-_-_");
  EXPECT_EQ(base64_decode("+/+/"), bytes);
  EXPECT_EQ(base64url_decode("-_-_"), bytes);
  EXPECT_FALSE(base64_decode("-_-_"));
  EXPECT_FALSE(base64url_decode("+/+/"));
}

TEST(Base64, RoundTripsAllByteValues) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= bytes.size(); len += 37) {
    const std::string part = bytes.substr(0, len);
    EXPECT_EQ(base64_decode(base64_encode(part)), part);
    EXPECT_EQ(base64url_decode(base64url_encode(part)), part);
  }
}

TEST(Base64, IgnoresUnusedTrailingBits) {
  // The spec's test signing seed ends in '1', whose low bits are unused; it must decode.
  auto seed = base64_decode("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1");
  ASSERT_TRUE(seed);
  EXPECT_EQ(seed->size(), 32u);
}

}  // namespace
}  // namespace myelin::core
