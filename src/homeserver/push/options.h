#pragma once
// The settings of push rules, pushers and push delivery (app/ fills them from the config file).
#include <cstdint>
#include <string>

namespace myelin::homeserver {

struct PushOptions {
  std::int64_t push_rules_per_user = 1000;  // user-defined rules
  std::int64_t pushers_per_user = 20;       // limits.pushers_per_user
  // Every push is sent in the event_id_only format, whatever the pusher asked: no message
  // content, sender or room name reaches the push gateway (a third party).
  bool event_id_only = true;
  // Gateways over plain http (the spec requires https; for test gateways).
  bool allow_http_gateways = false;
  // Comma-separated address ranges a gateway may be at although private or loopback.
  std::string gateway_ip_allowlist;
  // A PEM file of certificate authorities trusted for gateways besides the system's.
  std::string gateway_ca_file;
};

}  // namespace myelin::homeserver
