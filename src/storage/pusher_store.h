#pragma once
// Pushers (client-server-api "Push Notifications", POST /pushers/set; storage/store.h has the
// contract): per user, keyed by (app_id, pushkey), each remembering the device that set it, so
// that the device's removal (logout, DELETE /devices) removes its pushers. A user's count is
// bounded by the caller (limits.pushers_per_user); every query is indexed.
#include <cstdint>
#include <string>
#include <vector>

namespace myelin::storage {

struct PusherRecord {
  std::string user_id, app_id, pushkey;
  std::string kind;  // "http"
  std::string app_display_name, device_display_name, profile_tag, lang;
  std::string data;  // the `data` object, JSON text
  std::string device_id;
  std::int64_t pushkey_ts = 0;  // when it was set, in milliseconds
};

class PusherStore {
 public:
  virtual ~PusherStore() = default;

  // Inserts, or replaces the user's pusher with the same app_id and pushkey.
  virtual void put_pusher(const PusherRecord& pusher) = 0;
  // False when the user had no such pusher.
  virtual bool delete_pusher(const std::string& user_id, const std::string& app_id, const std::string& pushkey) = 0;
  // Removes the pushers with this app_id and pushkey of every user but `keep_user`.
  virtual void delete_pushers_of_others(const std::string& app_id, const std::string& pushkey,
                                        const std::string& keep_user) = 0;
  virtual std::vector<PusherRecord> pushers(const std::string& user_id) = 0;  // oldest first
  // The users with at least one pusher (read once, at startup).
  virtual std::vector<std::string> users_with_pushers() = 0;
};

}  // namespace myelin::storage
