#pragma once
// The settings of /sync's presence section (app/ fills them from the config file).

namespace myelin::homeserver {

struct PresenceOptions {
  bool presence_enabled = false;
};

}  // namespace myelin::homeserver
