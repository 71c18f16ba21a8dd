// homeserver/timeline/shared_rooms.h
#include "homeserver/timeline/shared_rooms.h"

#include <set>

namespace myelin::homeserver {

bool share_a_room(storage::EventStore& store, const std::string& a, const std::string& b) {
  if (a == b) return true;
  std::set<std::string> rooms;
  for (const auto& m : store.user_memberships(a))
    if (m.membership == "join" || m.membership == "invite") rooms.insert(m.room_id);
  for (const auto& m : store.user_memberships(b))
    if ((m.membership == "join" || m.membership == "invite") && rooms.contains(m.room_id)) return true;
  return false;
}

}  // namespace myelin::homeserver
