#pragma once
// The TURN servers offered for calls (app/ fills them from the config file).
#include <cstdint>
#include <string>
#include <vector>

namespace myelin::homeserver {

struct VoipOptions {
  std::vector<std::string> turn_uris;  // none: no TURN server offered
  std::string turn_shared_secret;      // coturn static-auth-secret (time-limited credentials)
  std::string turn_username;           // static credentials, when there is no shared secret
  std::string turn_password;
  std::int64_t turn_user_lifetime_s = 3600;
};

}  // namespace myelin::homeserver
