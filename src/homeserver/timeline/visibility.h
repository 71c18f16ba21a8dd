#pragma once
// Which events of a room a user may read (client-server-api "Room History Visibility"). The
// rules are applied with the room's state at each event: its m.room.history_visibility and the
// user's membership then. Both change rarely, so a request merges the two short lists of
// changes into a few ranges of stream positions and filters events by range, never looking
// up the state of each event.
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "homeserver/timeline/room_state.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

inline constexpr storage::StreamPos kNoEnd = std::numeric_limits<storage::StreamPos>::max();
// Below every position, backfilled history's (negative, storage/event_store.h) included.
inline constexpr storage::StreamPos kHistoryStart = std::numeric_limits<storage::StreamPos>::min() / 2;

// Positions p with lower < p <= upper.
struct PosRange {
  storage::StreamPos lower = 0;
  storage::StreamPos upper = 0;
  bool operator==(const PosRange&) const = default;
};

// A value of the room's state taking effect at an event: the event's position and the
// history_visibility or membership it sets.
using StateChange = storage::StateValueChange;

class Visible {
 public:
  Visible() = default;
  explicit Visible(std::vector<PosRange> ranges) : ranges_(std::move(ranges)) {}
  // Ascending, disjoint and not touching; the last may end at kNoEnd.
  const std::vector<PosRange>& ranges() const { return ranges_; }
  bool empty() const { return ranges_.empty(); }
  bool contains(storage::StreamPos pos) const;
  // The ranges cut to lower < p <= upper, ascending.
  std::vector<PosRange> within(storage::StreamPos lower, storage::StreamPos upper) const;
  // The newest readable position not after `now` (0 when none is).
  storage::StreamPos last(storage::StreamPos now) const;
  // These ranges and the given positions (any order).
  Visible with(std::vector<storage::StreamPos> positions) const;

 private:
  std::vector<PosRange> ranges_;
};

// The rules over the room's history_visibility changes and the user's membership changes,
// each ascending by position. Before the first change the visibility is "shared" and the user
// has no membership. The sweep starts at position 1, or at the first change when that is
// lower (backfilled history, whose visibility before its oldest event the store records). An m.room.history_visibility
// event is readable when the setting before or after it allows, and so is one of the user's own membership events under
// the membership before or after it.
Visible compute_visible(std::span<const StateChange> visibility, std::span<const StateChange> membership);

// The ranges for `user_id` in `room`, from the store's lists of the changes of the room's
// history_visibility and of the user's membership (two indexed reads).
Visible visible_events(storage::EventStore& store, const RoomState& room, const std::string& user_id);

// visible_events, when the user may read some of the room; M_FORBIDDEN when the room is
// unknown (nullptr) or they may read none of it.
core::Result<Visible> readable_events(storage::EventStore& store, const RoomState* room, const std::string& user_id);

// The room's state after its last event at or before `pos` (empty before its first event).
storage::StateMap state_at(storage::EventStore& store, const RoomState& room, storage::StreamPos pos);

// The state the user may see: the current state while they may read the room at `now`, else
// the state at the last position they may read (empty when they may read none).
storage::StateMap visible_state(storage::EventStore& store, const RoomState& room, const Visible& visible,
                                storage::StreamPos now);

// The user's membership in the room as it was at position `since` ("" for none).
std::string membership_at(storage::EventStore& store, const storage::Membership& current, storage::StreamPos since);

}  // namespace myelin::homeserver
