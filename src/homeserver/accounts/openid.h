#pragma once
// OpenID tokens (client-server-api "OpenID"; server-server-api "OpenID"): a user asks for one
// and hands it to a third party, which exchanges it at GET /_matrix/federation/v1/openid/userinfo
// for the user's ID, and for nothing else. Kept as digests (like access tokens), valid for an
// hour, at most kOpenIdTokensPerUser per user; expired ones are purged hourly.
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/ids.h"
#include "storage/openid_store.h"

namespace myelin::homeserver {

inline constexpr std::int64_t kOpenIdTokenLifetimeMs = 3'600'000;
inline constexpr std::int64_t kOpenIdTokensPerUser = 20;

struct OpenIdToken {
  std::string access_token;
  std::int64_t expires_in_seconds = 0;
};

class OpenId {
 public:
  explicit OpenId(storage::OpenIdStore& store) : store_(store) {}

  // A new token for the user (a token beyond the bound replaces the one expiring first).
  OpenIdToken request_token(const core::UserId& user_id);
  // The user of an unexpired token: M_UNKNOWN_TOKEN otherwise.
  core::Result<std::string> user_of(std::string_view token);
  void expire();

 private:
  storage::OpenIdStore& store_;
};

}  // namespace myelin::homeserver
