#include "homeserver/timeline/join_rules.h"

#include "rooms/auth.h"

namespace myelin::homeserver {

std::string restricted_join_authoriser(RoomCache& rooms, const std::string& server_name, const RoomState& room,
                                       const std::string& user_id) {
  const json::object* join_rules = room.content("m.room.join_rules", "");
  if (!join_rules) return {};
  const std::string_view rule = string_field(*join_rules, "join_rule");
  if (rule != "restricted" && rule != "knock_restricted") return {};
  const std::string membership = room.membership(user_id);
  if (membership == "invite" || membership == "join") return {};
  bool allowed = false;
  if (auto allow = join_rules->find("allow"); allow != join_rules->end() && allow->value().is_array()) {
    for (const auto& condition : allow->value().get_array()) {
      if (!condition.is_object()) continue;
      const auto& object = condition.get_object();
      if (string_field(object, "type") != "m.room_membership") continue;
      std::shared_ptr<RoomState> other = rooms.room(std::string(string_field(object, "room_id")));
      if (other && other->membership(user_id) == "join") allowed = true;
    }
  }
  if (!allowed) return {};
  rooms::PowerLevels levels(room.content("m.room.power_levels", ""), *room.pdu("m.room.create", ""), *room.rules);
  const std::string suffix = ":" + server_name;
  for (const auto& member : room.joined) {
    if (member.ends_with(suffix) && levels.at_least(member, levels.invite())) return member;
  }
  return {};
}

}  // namespace myelin::homeserver
