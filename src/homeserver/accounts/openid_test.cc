#include "homeserver/accounts/openid.h"

#include <gtest/gtest.h>

#include "storage/store.h"

namespace myelin::homeserver {
namespace {

TEST(OpenIdTest, TokensNameTheirUserAndAreKeptAsDigests) {
  auto store = storage::open_sqlite_store({":memory:", false});
  OpenId openid(*store);
  const auto alice = *core::UserId::parse("@alice:x");
  OpenIdToken token = openid.request_token(alice);
  EXPECT_EQ(token.expires_in_seconds, 3600);
  EXPECT_EQ(openid.user_of(token.access_token), "@alice:x");
  EXPECT_FALSE(store->openid_token_user(token.access_token, 0));  // only the digest is stored
  EXPECT_EQ(openid.user_of("forged").error().errcode, "M_UNKNOWN_TOKEN");
}

TEST(OpenIdTest, AUserKeepsABoundedNumberOfTokens) {
  auto store = storage::open_sqlite_store({":memory:", false});
  OpenId openid(*store);
  const auto alice = *core::UserId::parse("@alice:x");
  std::vector<std::string> tokens;
  for (std::int64_t i = 0; i <= kOpenIdTokensPerUser; ++i) tokens.push_back(openid.request_token(alice).access_token);
  openid.expire();  // nothing has expired yet
  std::int64_t valid = 0;
  for (const auto& token : tokens) valid += openid.user_of(token).has_value();
  EXPECT_EQ(valid, kOpenIdTokensPerUser);
  EXPECT_TRUE(openid.user_of(tokens.back()));
}

}  // namespace
}  // namespace myelin::homeserver
