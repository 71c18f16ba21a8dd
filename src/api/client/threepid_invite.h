#pragma once
// Inviting by third-party identifier (client-server-api "Third-party invites"): an invite given
// as {id_server, id_access_token, medium, address} — /invite's body, or an entry of createRoom's
// invite_3pid — names the Matrix user the identity server says the address is bound to.
// M_NOT_FOUND when it is bound to nobody: an invite that waits for the address to be bound
// (m.room.third_party_invite) is not made here.
#include <functional>
#include <string>

#include "api/call.h"

namespace myelin::api {

void invitee_of_3pid(Call& call, const json::object& invite, std::function<void(core::Result<std::string>)> done);

}  // namespace myelin::api
