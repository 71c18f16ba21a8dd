#pragma once
// The settings of rooms and membership (app/ fills them from the config file).
#include <cstdint>
#include <string>

namespace myelin::homeserver {

struct MembershipOptions {
  std::string server_name = "localhost";
  std::string default_room_version = "12";
  std::string encryption_by_default = "direct";   // off, direct (DMs), invite (private rooms too), all
  std::int64_t aliases_per_user = 1000;           // room aliases a user has created
  bool profile_lookup_requires_shared_room = true;
};

}  // namespace myelin::homeserver
