// RoomReader's paged reads: /messages, /context and the room snapshot of /initialSync, with
// lazy-loaded members (homeserver/timeline/room_reader.h).
#include <algorithm>
#include <set>

#include "homeserver/timeline/client_format.h"
#include "homeserver/timeline/ignored_users.h"
#include "homeserver/timeline/pagination.h"
#include "homeserver/timeline/room_reader.h"

namespace myelin::homeserver {

using core::Errc;
using storage::StreamPos;

// Member events of the senders of `events` (lazy loading) in the state the user may see: the
// current state while they may read the room, else the state at the last event they may read
// (a former member learns nothing of profile changes made after they left).
json::array RoomReader::lazy_members(const Reader& reader, const RoomState& room, const Visible& visible,
                                     const std::vector<storage::StoredEvent>& events) {
  std::set<std::string> senders;
  for (const auto& event : events) senders.insert(event.sender);
  const StreamPos now = position_store_.current_pos();
  const bool current = visible.contains(now);
  const storage::StateMap past = current ? storage::StateMap{} : visible_state(store_, room, visible, now);
  std::vector<std::string> ids;
  for (const auto& sender : senders) {
    if (current) {
      if (const auto* entry = room.find("m.room.member", sender)) ids.push_back(entry->event_id);
    } else if (auto it = past.find({"m.room.member", sender}); it != past.end()) {
      ids.push_back(it->second);
    }
  }
  return format_state(reader, ids);
}

core::Result<MessagesPage> RoomReader::messages(const Reader& reader, const core::RoomId& room_id,
                                                const MessagesQuery& query) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  const auto visible = readable_events(store_, room.get(), reader.user_id);
  if (!visible) return std::unexpected(visible.error());
  const std::int64_t limit = std::clamp<std::int64_t>(query.limit, 1, 1000);
  const StreamPos now = position_store_.current_pos();
  const StreamPos lower = query.backwards ? query.to.value_or(kHistoryStart) : query.from.value_or(kHistoryStart);
  const StreamPos upper = std::min(now, query.backwards ? query.from.value_or(now) : query.to.value_or(now));
  Page page = filtered_events(store_, room_id, visible->within(lower, upper), static_cast<std::size_t>(limit),
                              query.backwards ? storage::Direction::kBackward : storage::Direction::kForward,
                              with_ignored(reader, query.filter));
  MessagesPage out;
  out.chunk = format(reader, page.events);
  aggregations_.bundle(reader.user_id, reader.device_id, visible->last(now), page.events, out.chunk);
  out.start = query.backwards ? upper : lower;
  // Forwards, the page ends at the present while the reader may still read: new events may
  // follow, so `end` is where to wait for them. Backwards, reaching the start omits it.
  if (page.more) out.end = page.next;
  else if (!query.backwards && !query.to && visible->contains(now)) out.end = upper;
  if (query.filter.lazy_load_members) out.state = lazy_members(reader, *room, *visible, page.events);
  return out;
}

void RoomReader::messages(const Reader& reader, const core::RoomId& room_id, const MessagesQuery& query,
                          std::function<void(core::Result<MessagesPage>)> done) {
  auto page = messages(reader, room_id, query);
  if (!page || !backfill_ || !query.backwards || page->end) return done(std::move(page));
  // The page read everything down to the request's end: is there older history elsewhere?
  auto earliest = store_.room_events(room_id, kHistoryStart, kNoEnd, 1, storage::Direction::kForward);
  if (earliest.empty() || earliest.front().type == "m.room.create" ||
      query.to.value_or(kHistoryStart) >= earliest.front().pos)
    return done(std::move(page));
  // A full page: the next one, from below the room's earliest event, back-fills.
  if (static_cast<std::int64_t>(page->chunk.size()) >= std::clamp<std::int64_t>(query.limit, 1, 1000)) {
    page->end = earliest.front().pos - 1;
    return done(std::move(page));
  }
  // Read again once the back-fill is done. When it brought older events but the reader may
  // see too few of them to fill the page, the page still ends below them: the next one fetches
  // more (one batch per request, never more).
  backfill_(room_id, [this, reader, room_id, query, before = earliest.front().event_id, done = std::move(done)] {
    auto page = messages(reader, room_id, query);
    if (page && !page->end) {
      auto now = store_.room_events(room_id, kHistoryStart, kNoEnd, 1, storage::Direction::kForward);
      if (!now.empty() && now.front().event_id != before && now.front().type != "m.room.create")
        page->end = now.front().pos - 1;
    }
    done(std::move(page));
  });
}

core::Result<EventContext> RoomReader::context(const Reader& reader, const core::RoomId& room_id,
                                               const core::EventId& event_id, std::int64_t limit,
                                               const EventFilter& filter) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  const auto visible = readable_events(store_, room.get(), reader.user_id);
  if (!visible) return std::unexpected(visible.error());
  auto event = store_.event(event_id);
  if (!event || event->room_id != room_id || !visible->contains(event->pos))
    return core::fail(Errc::kNotFound, "Event not found");
  const auto count = static_cast<std::size_t>(std::clamp<std::int64_t>(limit, 0, 100));
  const std::size_t before_count = count / 2;
  const std::size_t after_count = count - before_count;
  const EventFilter shown = with_ignored(reader, filter);
  auto read = [&](StreamPos lower, StreamPos upper, std::size_t n, storage::Direction dir) {
    if (n == 0) return std::vector<storage::StoredEvent>();
    return filtered_events(store_, room_id, visible->within(lower, upper), n, dir, shown).events;
  };
  auto before = read(kHistoryStart, event->pos - 1, before_count, storage::Direction::kBackward);
  auto after = read(event->pos, position_store_.current_pos(), after_count, storage::Direction::kForward);

  EventContext out;
  if (filter.lazy_load_members) {
    std::vector<storage::StoredEvent> all = before;
    all.insert(all.end(), after.begin(), after.end());
    all.push_back(*event);
    out.state = lazy_members(reader, *room, *visible, all);
  } else {
    std::vector<std::string> ids;
    for (const auto& [key, id] : store_.state_group(event->state_group)) ids.push_back(id);
    out.state = format_state(reader, ids);
  }
  const StreamPos upto = visible->last(position_store_.current_pos());
  out.event = client_event(store_, *event, reader.device_id);
  aggregations_.bundle(reader.user_id, reader.device_id, upto, *event, out.event);
  out.before = format(reader, before);
  aggregations_.bundle(reader.user_id, reader.device_id, upto, before, out.before);
  out.after = format(reader, after);
  aggregations_.bundle(reader.user_id, reader.device_id, upto, after, out.after);
  out.start = before.empty() ? event->pos - 1 : before.back().pos - 1;
  out.end = after.empty() ? event->pos : after.back().pos;
  return out;
}

core::Result<RoomSnapshot> RoomReader::snapshot(const Reader& reader, const core::RoomId& room_id, std::int64_t limit) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  const auto visible = readable_events(store_, room.get(), reader.user_id);
  if (!visible) return std::unexpected(visible.error());
  auto account_data = room_account_data(reader.user_id, room_id.str());
  return snapshot_of(reader, *room, *visible, with_ignored(reader, EventFilter{}),
                     static_cast<std::size_t>(std::clamp<std::int64_t>(limit, 0, 100)),
                     std::move(account_data[room_id.str()]));
}

UserSnapshot RoomReader::snapshot_all(const Reader& reader, std::int64_t limit, bool archived) {
  UserSnapshot out;
  out.end = position_store_.current_pos();
  auto account_data = room_account_data(reader.user_id);
  out.account_data = std::move(account_data[""]);
  const auto count = static_cast<std::size_t>(std::clamp<std::int64_t>(limit, 0, 100));
  const EventFilter shown = with_ignored(reader, EventFilter{});  // read once for every room
  const IgnoredUsers& ignored = shown.ignored;
  for (const auto& membership : store_.user_memberships(reader.user_id)) {
    const bool left = membership.membership == "leave" || membership.membership == "ban";
    if (membership.membership != "join" && membership.membership != "invite" && !left) continue;  // knocks
    if (left && (!archived || store_.is_forgotten(reader.user_id, membership.room_id))) continue;
    std::shared_ptr<RoomState> room = rooms_.room(membership.room_id);
    if (!room) continue;
    if (membership.membership == "invite") {
      const json::object* invite = room->pdu("m.room.member", reader.user_id.str());
      if (!invite || (ignored && ignored->contains(string_field(*invite, "sender")))) continue;
      RoomSnapshot invited;
      invited.room_id = membership.room_id;
      invited.membership = "invite";
      json::array event = format(reader, store_.events({membership.event_id}));
      if (!event.empty()) invited.invite = std::move(event.front().as_object());
      out.rooms.push_back(std::move(invited));
      continue;
    }
    const Visible visible = visible_events(store_, *room, reader.user_id);
    if (visible.empty()) continue;
    out.rooms.push_back(snapshot_of(reader, *room, visible, shown, count, std::move(account_data[membership.room_id])));
  }
  return out;
}

RoomSnapshot RoomReader::snapshot_of(const Reader& reader, const RoomState& room, const Visible& visible,
                                     const EventFilter& shown, std::size_t limit, json::array account_data) {
  const StreamPos now = position_store_.current_pos();
  RoomSnapshot out;
  out.room_id = room.room_id;
  out.end = visible.last(now);
  out.start = out.end;
  if (limit > 0) {
    auto page =
        filtered_events(store_, room.room_id, visible.within(0, out.end), limit, storage::Direction::kBackward, shown);
    std::reverse(page.events.begin(), page.events.end());
    out.chunk = format(reader, page.events);
    if (!page.events.empty()) out.start = page.events.front().pos - 1;
  }
  std::vector<std::string> ids;
  for (const auto& [key, event_id] : visible_state(store_, room, visible, now)) ids.push_back(event_id);
  out.state = format_state(reader, ids);
  out.account_data = std::move(account_data);
  if (auto room_id = core::RoomId::parse(room.room_id)) {  // the cache's own: checked on the way in
    const auto record = store_.room(*room_id);
    out.published = record && record->published;
  }
  out.membership = room.membership(reader.user_id.str());
  return out;
}

EventFilter RoomReader::with_ignored(const Reader& reader, const EventFilter& filter) {
  EventFilter out = filter;
  out.ignored = ignored_users(user_data_store_, reader.user_id);
  return out;
}

std::map<std::string, json::array> RoomReader::room_account_data(const std::string& user_id,
                                                                 std::optional<std::string_view> room_id) {
  std::map<std::string, json::array> out;  // "" for the global entries
  for (const auto& entry : user_data_store_.account_data_since(user_id, 0)) {
    if (room_id && entry.room_id != *room_id) continue;
    auto content = core::parse_json(entry.content);
    if (content) out[entry.room_id].push_back(json::object{{"type", entry.type}, {"content", std::move(*content)}});
  }
  return out;
}

}  // namespace myelin::homeserver
