#pragma once
// The settings of rooms and membership (app/ fills them from the config file).
#include <cstdint>
#include <string>

namespace myelin::homeserver {

struct MembershipOptions {
  std::string server_name = "localhost";
  std::string default_room_version = "12";
  std::string encryption_by_default = "direct";  // off, direct (DMs), invite (private rooms too), all
  bool profile_lookup_requires_shared_room = true;
  // The user directory also lists users joined to public rooms (homeserver/membership/user_directory.h).
  bool user_directory_include_public_rooms = false;
};

}  // namespace myelin::homeserver
