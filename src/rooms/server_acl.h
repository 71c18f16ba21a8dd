#pragma once
// Server ACLs (client-server-api "Server Access Control Lists (ACLs) for rooms", the
// m.room.server_acl event): which servers may take part in a room over federation. The
// receiving side applies it to every request about the room (server-server-api "Server Access
// Control Lists"); it does not change the auth rules.
#include <string_view>

#include "core/json.h"

namespace myelin::rooms {

// Whether `server_name` may take part in a room whose m.room.server_acl content is `acl`
// (nullptr: the room has none, so every server may). The port is ignored; IP literals are
// denied when allow_ip_literals is false; then deny wins, then allow; nothing else is allowed.
// Malformed fields count as the spec's defaults (allow_ip_literals true, empty lists).
bool server_allowed_by_acl(const json::object* acl, std::string_view server_name);

}  // namespace myelin::rooms
