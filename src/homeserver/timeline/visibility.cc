#include "homeserver/timeline/visibility.h"

#include <algorithm>

namespace myelin::homeserver {
namespace {

using storage::StreamPos;

// A value that is not understood counts as "shared".
std::string_view known_visibility(std::string_view value) {
  return value == "world_readable" || value == "invited" || value == "joined" ? value : "shared";
}

// The last position of [from, until] the rules let the user read, or from - 1 for none:
// `joined_until` is the last position at which the user was joined (for "shared", which
// shows an event to a user who joined at any point after it).
StreamPos readable_until(std::string_view visibility, std::string_view membership, StreamPos from, StreamPos until,
                         StreamPos joined_until) {
  if (visibility == "world_readable" || membership == "join") return until;
  if (visibility == "invited") return membership == "invite" ? until : from - 1;
  if (visibility == "joined") return from - 1;
  return std::min(until, joined_until);
}

}  // namespace

bool Visible::contains(StreamPos pos) const {
  return std::any_of(ranges_.begin(), ranges_.end(),
                     [&](const PosRange& r) { return pos > r.lower && pos <= r.upper; });
}

std::vector<PosRange> Visible::within(StreamPos lower, StreamPos upper) const {
  std::vector<PosRange> out;
  for (const auto& range : ranges_) {
    PosRange cut{std::max(range.lower, lower), std::min(range.upper, upper)};
    if (cut.lower < cut.upper) out.push_back(cut);
  }
  return out;
}

StreamPos Visible::last(StreamPos now) const {
  for (auto it = ranges_.rbegin(); it != ranges_.rend(); ++it)
    if (it->lower < now) return std::min(it->upper, now);
  return 0;
}

Visible Visible::with(std::vector<StreamPos> positions) const {
  std::vector<PosRange> all = ranges_;
  for (StreamPos pos : positions) all.push_back({pos - 1, pos});
  std::sort(all.begin(), all.end(), [](const PosRange& a, const PosRange& b) { return a.lower < b.lower; });
  std::vector<PosRange> merged;
  for (const auto& range : all) {
    if (!merged.empty() && range.lower <= merged.back().upper)
      merged.back().upper = std::max(merged.back().upper, range.upper);
    else merged.push_back(range);
  }
  return Visible(std::move(merged));
}

Visible compute_visible(std::span<const StateChange> visibility, std::span<const StateChange> membership) {
  StreamPos joined_until = -1;
  for (std::size_t i = 0; i < membership.size(); ++i)
    if (membership[i].value == "join") joined_until = i + 1 < membership.size() ? membership[i + 1].pos - 1 : kNoEnd;

  std::vector<PosRange> ranges;
  auto add = [&](StreamPos from, StreamPos until) {  // inclusive; `from` never decreases
    if (until < from) return;
    if (!ranges.empty() && ranges.back().upper >= from - 1) ranges.back().upper = std::max(ranges.back().upper, until);
    else ranges.push_back({from - 1, until});
  };
  // Sweep the segments between changes, in each of which both values are constant.
  std::size_t vi = 0, mi = 0;
  std::string_view current_visibility = "shared", current_membership;
  StreamPos start = 1;
  if (!visibility.empty()) start = std::min(start, visibility.front().pos);
  if (!membership.empty()) start = std::min(start, membership.front().pos);
  for (StreamPos from = start;;) {
    const std::string_view visibility_before = current_visibility, membership_before = current_membership;
    const bool visibility_changed = vi < visibility.size() && visibility[vi].pos <= from;
    const bool membership_changed = mi < membership.size() && membership[mi].pos <= from;
    for (; vi < visibility.size() && visibility[vi].pos <= from; ++vi)
      current_visibility = known_visibility(visibility[vi].value);
    for (; mi < membership.size() && membership[mi].pos <= from; ++mi) current_membership = membership[mi].value;
    const StreamPos next = std::min(vi < visibility.size() ? visibility[vi].pos : kNoEnd,
                                    mi < membership.size() ? membership[mi].pos : kNoEnd);
    const StreamPos until = next == kNoEnd ? kNoEnd : next - 1;
    // The event that made the change is also readable under the value before it.
    if ((visibility_changed &&
         readable_until(visibility_before, current_membership, from, from, joined_until) >= from) ||
        (membership_changed && readable_until(current_visibility, membership_before, from, from, joined_until) >= from))
      add(from, from);
    add(from, readable_until(current_visibility, current_membership, from, until, joined_until));
    if (next == kNoEnd) break;
    from = next;
  }
  return Visible(std::move(ranges));
}

Visible visible_events(storage::EventStore& store, const RoomState& room, const std::string& user_id) {
  return compute_visible(store.history_visibility_changes(room.room_id),
                         store.membership_changes(room.room_id, user_id));
}

core::Result<Visible> readable_events(storage::EventStore& store, const RoomState* room, const std::string& user_id) {
  Visible visible = room ? visible_events(store, *room, user_id) : Visible();
  if (visible.empty()) return core::fail(core::Errc::kForbidden, "You may not read this room");
  return visible;
}

storage::StateMap state_at(storage::EventStore& store, const RoomState& room, StreamPos pos) {
  if (pos >= room.last_pos) {
    storage::StateMap state;
    for (const auto& [key, entry] : room.state) state[key] = entry.event_id;
    return state;
  }
  auto latest = store.room_events(room.room_id, 0, pos, 1, storage::Direction::kBackward);
  return latest.empty() ? storage::StateMap{} : store.state_group(latest.front().state_group);
}

storage::StateMap visible_state(storage::EventStore& store, const RoomState& room, const Visible& visible,
                                StreamPos now) {
  const StreamPos last = visible.last(now);  // `now` itself while the user may read the room now
  return last > 0 ? state_at(store, room, last) : storage::StateMap{};
}

std::string membership_at(storage::EventStore& store, const storage::Membership& current, StreamPos since) {
  if (current.pos <= since) return current.membership;
  std::string membership;
  for (auto& change : store.membership_changes(current.room_id, current.user_id)) {
    if (change.pos > since) break;
    membership = std::move(change.value);
  }
  return membership;
}

}  // namespace myelin::homeserver
