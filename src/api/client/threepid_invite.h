#pragma once
// Inviting by third-party identifier (client-server-api "Third-party invites"): an invite given
// as {id_server, id_access_token, medium, address} — /invite's body, or an entry of createRoom's
// invite_3pid. When the identity server knows whose the address is, that user is invited; else
// the identity server stores the invite and the room gets an m.room.third_party_invite, which
// the address's owner can use once they bind it (federation's /3pid/onbind).
#include <functional>

#include "api/call.h"

namespace myelin::api {

void invite_3pid(Call& call, const core::RoomId& room_id, const json::object& invite,
                 std::function<void(core::Status)> done);

}  // namespace myelin::api
