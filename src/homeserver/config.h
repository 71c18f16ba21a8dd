#pragma once
// The settings that only the client API reads and no domain owns: the rate limits of its
// entrance, server discovery, the anonymous room directory and the bound on content reports.
// app/ fills them from the config file (app/config.h). Each domain's own settings are in its
// folder's options.h; these move to the API layer's own options (issue 11).
#include <cstdint>
#include <string>

namespace myelin::homeserver {

struct Config {
  std::string public_baseurl;               // for .well-known; empty = not served
  bool public_rooms_without_auth = false;   // GET /publicRooms for anonymous callers

  bool rate_limits_enabled = true;
  double rate_per_second = 10;              // per user (or IP when unauthenticated)
  double rate_burst = 50;
  double login_per_second = 0.2;            // per IP, login and register
  double login_burst = 5;

  std::int64_t reports_per_user = 1000;     // content reports kept per reporter
};

}  // namespace myelin::homeserver
