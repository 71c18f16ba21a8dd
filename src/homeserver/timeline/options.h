#pragma once
// The timeline's settings (app/ fills them from the config file).
#include <cstdint>
#include <string>

namespace myelin::homeserver {

struct TimelineOptions {
  std::string server_name = "localhost";
  std::int64_t filters_per_user = 100;   // the least recently used go beyond
  std::int64_t aliases_per_user = 1000;  // room aliases a user has created (the room directory)
  // The room cache's bound, in state events (RoomCache): about 2.5 kB each, so ~50 MB.
  std::int64_t room_cache_state_events = 20000;
};

}  // namespace myelin::homeserver
