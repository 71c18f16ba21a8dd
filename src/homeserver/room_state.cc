#include "homeserver/room_state.h"

namespace myelin::homeserver {

std::string_view string_field(const json::object& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || !it->value().is_string()) return {};
  return it->value().get_string();
}

const StateEntry* RoomState::find(std::string_view type, std::string_view state_key) const {
  auto it = state.find(storage::StateKey(type, state_key));
  return it == state.end() ? nullptr : &it->second;
}

const json::object* RoomState::pdu(std::string_view type, std::string_view state_key) const {
  const StateEntry* entry = find(type, state_key);
  return entry ? entry->pdu.get() : nullptr;
}

const json::object* RoomState::content(std::string_view type, std::string_view state_key) const {
  const json::object* event = pdu(type, state_key);
  if (!event) return nullptr;
  auto it = event->find("content");
  return it != event->end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}

std::string RoomState::membership(std::string_view user_id) const {
  const json::object* member = content("m.room.member", user_id);
  return member ? std::string(string_field(*member, "membership")) : std::string();
}

}  // namespace myelin::homeserver
