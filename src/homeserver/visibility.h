#pragma once
// Which part of a room's history a user may read (client-server-api "History visibility"), as
// a range of stream positions. Simplification: the room's current m.room.history_visibility
// is applied to its whole history (the spec reads it at each event).
#include <optional>
#include <string>

#include "homeserver/room_state.h"
#include "storage/store.h"

namespace myelin::homeserver {

struct VisibleRange {
  storage::StreamPos from = 0;    // first readable position (inclusive)
  storage::StreamPos until = 0;   // last readable position (inclusive)
  bool contains(storage::StreamPos pos) const { return pos >= from && pos <= until; }
};

// nullopt when the user may read nothing (never joined, and the room is not world_readable).
// While joined the range ends at the newest position; after leaving, at their leave.
// "shared" and "world_readable" rooms start at 0; "invited" at the invite that began their
// membership; "joined" at their join.
// The user's membership in the room as it was at position `since` ("" for none), walking back
// from their current membership event through the events it replaced.
std::string membership_at(storage::Store& store, const storage::Membership& current, storage::StreamPos since);

std::optional<VisibleRange> visible_range(storage::Store& store, const RoomState& room,
                                          const std::string& user_id);

}  // namespace myelin::homeserver
