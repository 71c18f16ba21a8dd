#include "homeserver/voip/voip.h"

#include "core/base64.h"
#include "core/clock.h"
#include "core/crypto.h"

namespace myelin::homeserver {

std::optional<json::object> turn_server(const VoipOptions& config, const std::string& user_id, std::int64_t now_s) {
  if (config.turn_uris.empty()) return std::nullopt;
  std::string username = config.turn_username, password = config.turn_password;
  if (!config.turn_shared_secret.empty()) {
    username = std::to_string(now_s + config.turn_user_lifetime_s) + ":" + user_id;
    password = core::base64_encode(core::hmac_sha1(config.turn_shared_secret, username));
    while (password.size() % 4 != 0) password += '=';  // coturn compares padded base64
  }
  json::array uris(config.turn_uris.begin(), config.turn_uris.end());
  return json::object{{"username", std::move(username)},
                      {"password", std::move(password)},
                      {"uris", std::move(uris)},
                      {"ttl", config.turn_user_lifetime_s}};
}

std::optional<json::object> Voip::turn_server(const std::string& user_id) const {
  return homeserver::turn_server(config_, user_id, core::now_ms() / 1000);
}

}  // namespace myelin::homeserver
