#include "homeserver/membership/guest_removal.h"

#include <string>
#include <vector>

namespace myelin::homeserver {
namespace {

// Whether `row`, applied to `room`, set or redacted its current m.room.guest_access.
bool changes_guest_access(const RoomState& room, const storage::NewEvent& row) {
  if (row.type == "m.room.guest_access" && row.state_key == "") return true;
  const StateEntry* current = room.find("m.room.guest_access", "");
  return row.redaction && current && current->event_id == row.redaction->first;
}

}  // namespace

void GuestRemoval::on_written(const Written& written) {
  const RoomState& room = written.room;
  if (written.creates_room || !changes_guest_access(room, written.event.row)) return;
  const json::object* access = room.content("m.room.guest_access", "");
  if (access && string_field(*access, "guest_access") == "can_join") return;
  std::vector<std::string> guests;
  for (const auto* members : {&room.joined, &room.invited})
    for (const std::string& member : *members)
      if (auto user = store_.user(member); user && user->guest) guests.push_back(member);
  auto room_id = core::RoomId::parse(room.room_id);  // the cache's own: checked on the way in
  if (!room_id) return;
  const json::object leave{{"membership", "leave"}, {"reason", "Guests may no longer be in this room"}};
  for (const std::string& guest : guests) (void)timeline_.send(*room_id, {guest, "m.room.member", guest, leave, {}});
}

}  // namespace myelin::homeserver
