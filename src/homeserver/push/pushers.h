#pragma once
// Pushers (client-server-api "Push Notifications": GET /pushers, POST /pushers/set). A pusher
// belongs to the device that set it and goes with it (logout, device deletion). Kind "http"
// only (no email pushers: the server sends no email); its data.url must be an https URL (http
// with push.allow_http_gateways) whose path is /_matrix/push/v1/notify. The users who have
// pushers are kept in memory, so that an event in a room without any costs no store read;
// the set may name users whose pushers went meanwhile (append: false, a device's removal),
// who leave it when their pushers are next read.
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/push/options.h"
#include "storage/pusher_store.h"

namespace myelin::homeserver {

constexpr const char* kPushPath = "/_matrix/push/v1/notify";

class Pushers {
 public:
  Pushers(const PushOptions& config, storage::PusherStore& store);

  // GET /pushers: {"pushers": [...]}.
  json::object list(const std::string& user_id);
  // POST /pushers/set. 400 M_MISSING_PARAM / M_INVALID_PARAM for a missing or invalid field,
  // 403 M_FORBIDDEN beyond limits.pushers_per_user.
  core::Status set(const std::string& user_id, const std::string& device_id, const json::object& body);

  // For delivery: whether anyone has a pusher; whether `user_id` may have one.
  bool any() const { return !users_.empty(); }
  bool may_have(const std::string& user_id) const { return users_.contains(user_id); }
  const std::unordered_set<std::string>& users() const { return users_; }
  std::vector<storage::PusherRecord> of(const std::string& user_id);
  // The user's pusher with that app_id and pushkey, if they still have it.
  std::optional<storage::PusherRecord> find(const std::string& user_id, const std::string& app_id,
                                            const std::string& pushkey);
  // A gateway rejected the pushkey: the pusher goes.
  void remove(const std::string& user_id, const std::string& app_id, const std::string& pushkey);

 private:
  const PushOptions& config_;
  storage::PusherStore& store_;
  std::unordered_set<std::string> users_;
};

// The checks of POST /pushers/set on a gateway URL (Pushers' header).
core::Status check_gateway_url(const json::value* url, bool allow_http);

}  // namespace myelin::homeserver
