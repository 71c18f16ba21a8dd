#pragma once
// The timeline's settings (app/ fills them from the config file).
#include <cstdint>
#include <string>

namespace myelin::homeserver {

struct TimelineOptions {
  std::string server_name = "localhost";
  std::int64_t filters_per_user = 100;      // the least recently used go beyond
};

}  // namespace myelin::homeserver
