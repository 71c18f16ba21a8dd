#pragma once
// The settings of push rules (app/ fills them from the config file).
#include <cstdint>

namespace myelin::homeserver {

struct PushOptions {
  std::int64_t push_rules_per_user = 1000;  // user-defined rules
};

}  // namespace myelin::homeserver
