#pragma once
// OpenID tokens (storage/store.h has the contract; client-server-api "OpenID"): kept only as
// digests, each with its user and expiry, a bounded number per user.
#include <cstdint>
#include <optional>
#include <string>

namespace myelin::storage {

class OpenIdStore {
 public:
  virtual ~OpenIdStore() = default;

  // Stores the token's digest; when the user already has `max_per_user` unexpired tokens at
  // `now_ms`, the ones expiring first go (and the user's expired ones always do).
  virtual void add_openid_token(const std::string& digest, const std::string& user_id, std::int64_t expires_ts,
                                std::int64_t now_ms, std::int64_t max_per_user) = 0;
  // The user of an unexpired token.
  virtual std::optional<std::string> openid_token_user(const std::string& digest, std::int64_t now_ms) = 0;
  // Deletes the tokens expired at `now_ms`.
  virtual void purge_openid_tokens(std::int64_t now_ms) = 0;
};

}  // namespace myelin::storage
