#pragma once
// The reader RoomReader serves for an authenticated call: its user and device.
#include "api/call.h"
#include "homeserver/timeline/room_reader.h"

namespace myelin::api {

inline homeserver::Reader reader(const Call& call) { return {call.user().user_id, call.user().device_id}; }

}  // namespace myelin::api
