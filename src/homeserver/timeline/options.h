#pragma once
// The timeline's settings (app/ fills them from the config file).
#include <cstdint>
#include <string>

namespace myelin::homeserver {

struct TimelineOptions {
  std::string server_name = "localhost";
  std::int64_t filters_per_user = 100;
  std::int64_t aliases_per_user =
      1000;  // room aliases a user has created (the room directory)      // the least recently used go beyond
};

}  // namespace myelin::homeserver
