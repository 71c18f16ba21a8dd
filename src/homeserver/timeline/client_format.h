#pragma once
// Stored PDUs in the client-server "ClientEvent" format: the fields a client sees, plus
// unsigned.age, unsigned.transaction_id (only for the sending device), unsigned.prev_content
// for state events that replaced another, and unsigned.redacted_because.
#include <initializer_list>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "homeserver/timeline/room_state.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

json::object client_event(storage::EventStore& store, const storage::StoredEvent& event,
                          std::string_view viewer_device = {}, bool with_prev_content = true);

// Stripped state (client-server-api "Stripped state"): type, state_key, sender, content.
json::object stripped_event(const json::object& pdu);

// The room's state an invitee or knocker is shown: create, join_rules, name, avatar,
// canonical_alias, encryption, topic, and the member event of each of `users` (the invitee,
// the inviter) the room has, as PDUs (for another server: a knock's answer) ...
std::vector<const json::object*> stripped_state_pdus(const RoomState& room,
                                                     std::initializer_list<std::string_view> users);
// ... and stripped.
json::array stripped_room_state(const RoomState& room, std::initializer_list<std::string_view> users);

}  // namespace myelin::homeserver
