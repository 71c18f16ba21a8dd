#include "homeserver/accounts/openid.h"

#include "core/clock.h"
#include "core/crypto.h"

namespace myelin::homeserver {

OpenIdToken OpenId::request_token(const core::UserId& user_id) {
  const std::string token = core::new_access_token();
  const std::int64_t now = core::now_ms();
  store_.add_openid_token(core::token_digest(token), user_id.str(), now + kOpenIdTokenLifetimeMs, now,
                          kOpenIdTokensPerUser);
  return {token, kOpenIdTokenLifetimeMs / 1000};
}

core::Result<std::string> OpenId::user_of(std::string_view token) {
  auto user = store_.openid_token_user(core::token_digest(token), core::now_ms());
  if (!user) return core::fail(core::Errc::kUnknownToken, "Access token unknown or expired");
  return *user;
}

void OpenId::expire() { store_.purge_openid_tokens(core::now_ms()); }

}  // namespace myelin::homeserver
