#pragma once
// Restricted joins (client-server-api "Restricted rooms"): who of this server may authorise a
// join (join_authorised_via_users_server), for local joins (RoomService) and for other
// servers' users (federation's make_join).
#include <string>

#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/room_state.h"

namespace myelin::homeserver {

// For a restricted join by a user who is not invited: a joined user of `server_name` who may
// invite, when the joiner is joined to one of the rooms the join rule allows (as this server
// knows them). Empty when no one can authorise (or the room is not restricted).
std::string restricted_join_authoriser(RoomCache& rooms, const std::string& server_name, const RoomState& room,
                                       const std::string& user_id);

}  // namespace myelin::homeserver
