// /sync's "rooms" section: which of the user's rooms appear, and how — invited and knocked
// rooms as stripped state, left rooms with their last readable timeline, joined rooms
// (sync_joined.cc).
#include <algorithm>

#include "homeserver/sync/sync_pass.h"
#include "homeserver/timeline/client_format.h"
#include "homeserver/timeline/pagination.h"
#include "homeserver/timeline/visibility.h"
#include "rooms/event_format.h"

namespace myelin::homeserver {

using storage::StreamPos;

json::array format_all(SyncPass& pass, const RoomState& room, const std::vector<storage::StoredEvent>& events,
                       bool with_prev_content) {
  json::array out;
  out.reserve(events.size());
  for (const auto& event : events) {
    json::object client = client_event(pass.store, event, pass.device, with_prev_content);
    if (!pass.filter.federation_format) {
      out.push_back(std::move(client));
      continue;
    }
    auto pdu = core::parse_json_object(event.json);
    if (!pdu) continue;  // stored PDUs are JSON
    rooms::sign_own_event(*pdu, *room.rules, pass.server_name, pass.key);
    (*pdu)["event_id"] = event.event_id;
    (*pdu)["content"] = std::move(client["content"]);  // redacted when the event was
    if (json::value* unsigned_ = client.if_contains("unsigned")) (*pdu)["unsigned"] = std::move(*unsigned_);
    out.push_back(std::move(*pdu));
  }
  return out;
}

namespace {

// An invited or knocked room: a few state events, stripped.
json::array stripped_state(const RoomState& room, const std::string& user) {
  // Invited from another server, or knocking through one: the state its server sent
  // (federation/invites.h, remote_memberships.h), then the invite or knock.
  const json::object* own = room.pdu("m.room.member", user);
  if (own && !room.pdu("m.room.create", "")) {
    json::array stripped;
    const char* key = room.membership(user) == "knock" ? "knock_room_state" : "invite_room_state";
    if (const json::value* sent = own->if_contains("unsigned"); sent && sent->is_object())
      if (const json::value* state = sent->get_object().if_contains(key); state && state->is_array())
        stripped = state->get_array();
    stripped.push_back(stripped_event(*own));
    return stripped;
  }
  // The user's own invite or knock, and the membership of whoever sent it: clients name an
  // invite (a DM above all) after the inviter's display name.
  const std::string_view sender = own ? string_field(*own, "sender") : "";
  if (sender.empty() || sender == user) return stripped_room_state(room, {user});
  return stripped_room_state(room, {user, sender});
}

// Invites from ignored users are not sent (client-server-api "Ignoring Users").
bool invited_by_ignored(const SyncPass& pass, const RoomState& room) {
  const json::object* own = room.pdu("m.room.member", pass.user);
  return own && pass.ignores(string_field(*own, "sender"));
}

// The state ids a left room comes with (see left_room).
std::vector<std::string> left_state_ids(SyncPass& pass, const RoomState& room, const storage::Membership& membership,
                                        const Visible& visible, const std::vector<storage::StoredEvent>& events,
                                        bool joined_at_since) {
  std::vector<std::string> state_ids;
  if (joined_at_since && !pass.request.use_state_after) return state_ids;
  storage::StateMap state;
  if (!events.empty() && !pass.request.use_state_after) {
    state = state_before(pass.store, events.front());
  } else {
    state = state_at(pass.store, room, visible.last(membership.pos));
    state[{"m.room.member", pass.user}] = membership.event_id;
  }
  for (const auto& [key, event_id] : state)
    if (pass.filter.room.state.matches(key.first, "")) state_ids.push_back(event_id);
  return state_ids;
}

// A room the user left (or was refused or banned from) since `since`, or any with
// include_leave on an initial sync; nullopt when it is not reported or forgotten.
std::optional<json::object> left_room(SyncPass& pass, const RoomState& room, const storage::Membership& membership) {
  const bool report = pass.since > 0 ? membership.pos > pass.since : pass.filter.room.include_leave;
  if (!report || pass.store.is_forgotten(pass.user, membership.room_id)) return std::nullopt;
  const Visible visible = visible_events(pass.store, room, pass.user);
  Page page = filtered_events(pass.store, membership.room_id, visible.within(pass.since, membership.pos),
                              static_cast<std::size_t>(pass.filter.room.timeline.limit), storage::Direction::kBackward,
                              pass.filter.room.timeline);
  auto& events = page.events;
  std::reverse(events.begin(), events.end());
  // A room the user was not in at `since` (joined and left within this sync, or never
  // joined: an invite rejected, a knock refused, a ban) comes with the state at its
  // timeline's start. With use_state_after (v1.16), the state after the leave instead: all
  // of it, or what changed since `since` when the user was in then. Either way never later
  // than the last position the user may read; with an empty timeline, the state there and
  // their own membership, which is all a user who may read nothing gets.
  const bool joined_at_since = membership_at(pass.store, membership, pass.since) == "join";
  std::vector<storage::StoredEvent> state_events =
      pass.store.events(left_state_ids(pass, room, membership, visible, events, joined_at_since));
  if (joined_at_since)
    std::erase_if(state_events, [since = pass.since](const auto& event) { return event.pos <= since; });
  // The user's refusal of an invite (or retraction of a knock, or an invite withdrawn) that
  // the history visibility hides closes the timeline all the same, as Synapse shows it:
  // clients take a left room out of their list by its leave event. The state is the one
  // computed without it.
  if (membership.membership == "leave" && !visible.contains(membership.pos) &&
      pass.filter.room.timeline.matches("m.room.member", pass.user)) {
    const std::string before = membership_at(pass.store, membership, membership.pos - 1);
    if (before == "invite" || before == "knock") {
      if (!pass.request.use_state_after)  // "state" ends where the timeline starts; state_after holds it
        std::erase_if(state_events, [&](const auto& event) { return event.event_id == membership.event_id; });
      for (auto& own : pass.store.events({membership.event_id})) events.push_back(std::move(own));
    }
  }
  std::string prev_batch = stream_token(events.empty() ? pass.since : events.front().pos - 1);
  json::array timeline = format_all(pass, room, events, true);
  if (page.more || !joined_at_since)
    pass.aggregations.bundle(pass.user, pass.device, visible.last(membership.pos), events, timeline);
  return json::object{
      {"timeline", {{"events", std::move(timeline)}, {"limited", page.more}, {"prev_batch", prev_batch}}},
      {pass.state_field, {{"events", format_all(pass, room, state_events, false)}}},
      {"account_data", {{"events", json::array{}}}}};
}

}  // namespace

json::object rooms_section(SyncPass& pass, RoomCache& rooms, const std::vector<storage::Membership>& memberships,
                           std::map<std::string, json::array>& room_account_data) {
  json::object join, invite, leave, knock;
  for (const auto& membership : memberships) {
    if (!pass.filter.room.matches_room(membership.room_id)) continue;
    std::shared_ptr<const RoomState> room = rooms.room(membership.room_id);
    if (!room) continue;
    if (membership.membership == "invite" || membership.membership == "knock") {
      if (pass.since != 0 && membership.pos <= pass.since) continue;
      if (membership.membership == "invite" && invited_by_ignored(pass, *room)) continue;
      json::array stripped = stripped_state(*room, pass.user);
      if (membership.membership == "invite")
        invite[membership.room_id] = {{"invite_state", {{"events", std::move(stripped)}}}};
      else knock[membership.room_id] = {{"knock_state", {{"events", std::move(stripped)}}}};
      pass.has_updates = true;
    } else if (membership.membership != "join") {
      if (auto left = left_room(pass, *room, membership)) {
        leave[membership.room_id] = std::move(*left);
        pass.has_updates = true;
      }
    } else if (auto joined = joined_room(pass, *room, membership, std::move(room_account_data[membership.room_id]))) {
      join[membership.room_id] = std::move(*joined);
      pass.has_updates = true;
    }
  }
  return json::object{{"join", std::move(join)},
                      {"invite", std::move(invite)},
                      {"leave", std::move(leave)},
                      {"knock", std::move(knock)}};
}

}  // namespace myelin::homeserver
