#pragma once
// The settings of moderation (app/ fills them from the config file).
#include <cstdint>
#include <string>

namespace myelin::homeserver {

struct ModerationOptions {
  std::string server_name = "localhost";
  std::int64_t reports_per_user = 1000;  // content reports kept per reporter
};

}  // namespace myelin::homeserver
