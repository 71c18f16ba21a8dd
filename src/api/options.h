#pragma once
// The client API's own settings, which no domain owns: the rate limits of its entrance, what
// server discovery answers, and whether anonymous callers may list the room directory. app/
// fills them from the config file and hands them to install_routes; nothing under api/ reads
// the homeserver's configuration.
#include <string>

namespace myelin::api {

struct ClientApiOptions {
  bool rate_limits_enabled = true;
  double rate_per_second = 10;  // per user
  double rate_burst = 50;
  double login_per_second = 0.2;  // per IP, login and register
  double login_burst = 5;
  std::string public_baseurl;              // GET /.well-known/matrix/client; empty = not served
  bool public_rooms_without_auth = false;  // GET /publicRooms for anonymous callers
};

}  // namespace myelin::api
