// /sync: one joined room — its timeline, ephemeral events (typing, receipts), state (all of it
// for a room new to this sync, else what the timeline does not show; lazy-loaded members),
// account data, unread counts and summary.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "homeserver/sync/sync_pass.h"
#include "homeserver/timeline/pagination.h"
#include "homeserver/timeline/visibility.h"

namespace myelin::homeserver {
namespace {

using storage::StreamPos;

struct JoinedTimeline {
  std::vector<storage::StoredEvent> events;  // oldest first
  bool limited = false;
};

// A room new to this sync shows the history the user may read; otherwise what came since
// `since`, all of it readable while they stayed joined (the common case, with no lookups),
// else only what the rules allow. Either way the events of the current state come too, where
// they fall in the window: the user may read the current state, and clients build it from the
// timeline (Synapse does the same).
JoinedTimeline joined_timeline(SyncPass& pass, const RoomState& room, const storage::Membership& membership,
                               bool newly) {
  JoinedTimeline out;
  const StreamPos lower = newly ? 0 : pass.since;
  if (room.last_pos <= lower) return out;
  std::vector<PosRange> ranges{{lower, pass.now}};
  if (newly || membership.pos > pass.since) {
    std::vector<StreamPos> current;
    for (const auto& [key, entry] : room.state)
      if (entry.pos > lower) current.push_back(entry.pos);
    ranges = visible_events(pass.store, room, pass.user).with(std::move(current)).within(lower, pass.now);
  }
  const EventFilter& filter = pass.filter.room.timeline;
  Page page = filtered_events(pass.store, membership.room_id, std::move(ranges), static_cast<std::size_t>(filter.limit),
                              storage::Direction::kBackward, filter);
  out.events = std::move(page.events);
  out.limited = page.more;
  std::reverse(out.events.begin(), out.events.end());
  return out;
}

// Not new to this sync: the state changes between `since` and the timeline's start that the
// timeline does not show (with use_state_after, to its end), and lazily loaded members of the
// timeline's senders that this device has not been sent.
std::vector<std::string> changed_state_ids(SyncPass& pass, const RoomState& room, const JoinedTimeline& timeline,
                                           const std::set<std::string>& senders) {
  const EventFilter& state_filter = pass.filter.room.state;
  const bool state_after = pass.request.use_state_after;
  const auto& events = timeline.events;
  std::vector<std::string> state_ids;
  std::set<std::string> in_timeline;
  if (!state_after)
    for (const auto& event : events) in_timeline.insert(event.event_id);
  if (timeline.limited) {
    const StreamPos start = events.empty() || state_after ? pass.now + 1 : events.front().pos;
    // Every state change in the gap (and, for state_after, in the timeline), members
    // included even when lazy-loading: the client cannot have seen them.
    for (const auto& [key, entry] : room.state)
      if (entry.pos > pass.since && entry.pos < start && state_filter.matches(key.first, ""))
        state_ids.push_back(entry.event_id);
  } else if (state_after) {
    // No gap: the changes are the timeline's state events that are still current (read
    // from the timeline, not a walk over the room's state).
    for (const auto& event : events) {
      if (!event.state_key || !state_filter.matches(event.type, "")) continue;
      const StateEntry* entry = room.find(event.type, *event.state_key);
      if (entry && entry->event_id == event.event_id) state_ids.push_back(event.event_id);
    }
  }
  // Lazy loading: the members of everyone who speaks in the timeline come with it,
  // except those this device already has.
  if (state_filter.lazy_load_members) {
    for (const auto& sender : senders) {
      const StateEntry* member = room.find("m.room.member", sender);
      if (!member || in_timeline.contains(member->event_id) ||
          (!state_filter.include_redundant_members && pass.sent.has(room.room_id, sender)))
        continue;
      if (std::find(state_ids.begin(), state_ids.end(), member->event_id) == state_ids.end())
        state_ids.push_back(member->event_id);
    }
  }
  return state_ids;
}

// State: everything up to the timeline's start for a room new to this sync (with
// use_state_after, v1.16, up to its end: the client then takes the room's state from this
// list alone, so it repeats the timeline's state changes); otherwise changed_state_ids. The
// lazily loaded members are the timeline's senders and the summary's heroes.
std::vector<storage::StoredEvent> joined_state(SyncPass& pass, const RoomState& room, const JoinedTimeline& timeline,
                                               bool newly, const std::optional<std::vector<std::string>>& heroes) {
  std::set<std::string> senders;
  for (const auto& event : timeline.events) senders.insert(event.sender);
  if (newly) senders.insert(pass.user);
  if (heroes) senders.insert(heroes->begin(), heroes->end());
  const EventFilter& state_filter = pass.filter.room.state;
  std::vector<std::string> state_ids;
  if (newly) {
    storage::StateMap state = timeline.events.empty() || pass.request.use_state_after
                                  ? pass.store.state_group(room.state_group)
                                  : state_before(pass.store, timeline.events.front());
    for (const auto& [key, event_id] : state) {
      if (!state_filter.matches(key.first, "")) continue;
      if (key.first == "m.room.member" && state_filter.lazy_load_members && !senders.contains(key.second)) continue;
      state_ids.push_back(event_id);
    }
  } else {
    state_ids = changed_state_ids(pass, room, timeline, senders);
  }
  return pass.store.events(state_ids);
}

// Lazy loading: remembers which members this device now has.
void remember_sent_members(SyncPass& pass, const std::string& room_id, bool newly,
                           const std::vector<storage::StoredEvent>& state_events, const JoinedTimeline& timeline) {
  if (!pass.filter.room.state.lazy_load_members) return;
  if (newly) pass.sent.forget(room_id);
  for (const std::vector<storage::StoredEvent>* list : {&state_events, &timeline.events})
    for (const auto& event : *list)
      if (event.type == "m.room.member" && event.state_key) pass.sent.add(room_id, *event.state_key);
}

json::object counts_json(const NotificationCounts& counts) {
  return {{"notification_count", counts.notifications}, {"highlight_count", counts.highlights}};
}

// The room's notification counts (badge.cc). With the timeline filter's
// unread_thread_notifications the room's counts are the main timeline's and the threads' come
// apart in `unread_thread_notifications`; otherwise the room's counts are the sum.
void unread_notifications(SyncPass& pass, const RoomState& room, const storage::Membership& membership,
                          json::object& room_json) {
  const UnreadContext context{pass.store,
                              pass.relations,
                              pass.user_data,
                              pass.unread,
                              pass.user,
                              [&pass]() -> const PushRuleset& { return pass.push_rules(); },
                              pass.filter.room.timeline.ignored.get()};
  const RoomUnread counts = room_unread(context, room, membership, pass.now);
  if (!pass.filter.room.timeline.unread_thread_notifications) {
    room_json["unread_notifications"] = counts_json(counts.total());
    return;
  }
  room_json["unread_notifications"] = counts_json(counts.main);
  json::object threads;
  for (const auto& [root, thread_counts] : counts.threads)
    if (thread_counts.notifications > 0 || thread_counts.highlights > 0) threads[root] = counts_json(thread_counts);
  if (!threads.empty()) room_json["unread_thread_notifications"] = std::move(threads);
}

// The summary's heroes (sync "RoomSummary"), for a room whose m.room.name and
// m.room.canonical_alias are unset or empty: up to five other members, joined or invited, or
// when there are none those who left or were banned. Ordered by user ID, not by when they came.
std::optional<std::vector<std::string>> room_heroes(const RoomState& room, const std::string& user) {
  constexpr std::size_t kHeroes = 5;
  const json::object* name = room.content("m.room.name", "");
  const json::object* alias = room.content("m.room.canonical_alias", "");
  if ((name && !string_field(*name, "name").empty()) || (alias && !string_field(*alias, "alias").empty()))
    return std::nullopt;
  std::vector<std::string> heroes;  // the first five, not a walk over every member of a large room
  for (const auto* group : {&room.joined, &room.invited})
    for (auto it = group->begin(); it != group->end() && heroes.size() < kHeroes; ++it)
      if (*it != user) heroes.push_back(*it);
  if (!heroes.empty()) return heroes;
  for (auto it = room.state.lower_bound({"m.room.member", ""});
       it != room.state.end() && it->first.first == "m.room.member" && heroes.size() < kHeroes; ++it) {
    const std::string& member = it->first.second;
    const std::string membership = room.membership(member);
    if (member != user && (membership == "leave" || membership == "ban")) heroes.push_back(member);
  }
  return heroes;
}

json::object room_summary(const RoomState& room, const std::optional<std::vector<std::string>>& heroes) {
  json::object summary{{"m.joined_member_count", room.joined.size()}, {"m.invited_member_count", room.invited.size()}};
  if (heroes) summary["m.heroes"] = json::array(heroes->begin(), heroes->end());
  return summary;
}

}  // namespace

std::optional<json::object> joined_room(SyncPass& pass, const RoomState& room, const storage::Membership& membership,
                                        json::array account_data) {
  // New to this sync: an initial or full-state sync, or a join since `since` (a profile
  // change re-sends a join event without being a new join).
  const bool newly = pass.since == 0 || pass.request.full_state ||
                     (membership.pos > pass.since && membership_at(pass.store, membership, pass.since) != "join");
  JoinedTimeline timeline = joined_timeline(pass, room, membership, newly);
  json::array ephemeral = room_ephemeral(pass.typing, pass.user_data, membership.room_id, pass.user, pass.since, newly);
  if (!newly && timeline.events.empty() && ephemeral.empty() && account_data.empty()) return std::nullopt;

  const std::optional<std::vector<std::string>> heroes = room_heroes(room, pass.user);
  const std::vector<storage::StoredEvent> state_events = joined_state(pass, room, timeline, newly, heroes);
  remember_sent_members(pass, membership.room_id, newly, state_events, timeline);
  json::object room_json;
  json::array timeline_json = format_all(pass, room, timeline.events, true);
  // Bundled aggregations where the client lacks the events to aggregate itself: a gap in the
  // timeline, or a room new to this sync (an incremental timeline brings every child).
  if (timeline.limited || newly)
    pass.aggregations.bundle(pass.user, pass.device, pass.now, timeline.events, timeline_json);
  room_json["timeline"] = {
      {"events", std::move(timeline_json)},
      {"limited", timeline.limited},
      {"prev_batch", stream_token(timeline.events.empty() ? pass.now : timeline.events.front().pos - 1)}};
  room_json[pass.state_field] = {{"events", format_all(pass, room, state_events, false)}};
  room_json["ephemeral"] = {{"events", std::move(ephemeral)}};
  room_json["account_data"] = {{"events", std::move(account_data)}};
  unread_notifications(pass, room, membership, room_json);
  room_json["summary"] = room_summary(room, heroes);
  return room_json;
}

}  // namespace myelin::homeserver
