#pragma once
// The settings of end-to-end encryption: what one device or user can make the server keep,
// and who sees device names (app/ fills them from the config file).
#include <cstdint>
#include <string>

namespace myelin::homeserver {

struct E2eeOptions {
  std::string server_name = "localhost";
  bool device_names_visible = false;              // other users see device display names in keys/query
  std::int64_t to_device_inbox_messages = 10000;  // per device; the oldest go beyond
  std::int64_t to_device_inbox_bytes = 32 << 20;
  int to_device_idle_days = 90;                    // inboxes of devices unseen this long go; 0 = never
  std::int64_t one_time_keys_per_algorithm = 100;  // per device
  std::int64_t backup_keys_per_user = 1000000;     // room keys in all of a user's key backups
};

}  // namespace myelin::homeserver
