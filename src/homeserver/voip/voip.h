#pragma once
// TURN credentials for GET /voip/turnServer (client-server-api "Voice over IP"). With
// voip.turn_shared_secret, time-limited credentials as coturn's REST API (use-auth-secret)
// checks them: username "<expiry in Unix seconds>:<user ID>", password
// base64(HMAC-SHA1(secret, username)); otherwise the configured static username and password.
// No TURN URIs configured: no TURN server (std::nullopt). The secret is never logged.
#include <cstdint>
#include <optional>
#include <string>

#include "core/json.h"
#include "homeserver/voip/options.h"

namespace myelin::homeserver {

// The response body (username, password, uris, ttl) for `user_id` at `now_s` (Unix seconds).
std::optional<json::object> turn_server(const VoipOptions& config, const std::string& user_id, std::int64_t now_s);

// The voip settings (voip.* in the config file) and the credentials they give now.
class Voip {
 public:
  explicit Voip(const VoipOptions& config) : config_(config) {}
  // turn_server for `user_id` at the current time.
  std::optional<json::object> turn_server(const std::string& user_id) const;

 private:
  const VoipOptions& config_;
};

}  // namespace myelin::homeserver
