// GET /events (client-server-api "Room Previews" and the deprecated event stream of old_sync):
// the room events after `from` that the user may read (those of users they ignore left out),
// oldest first, at most kLimit; then what else changed in the window for the user, as the old
// stream carried it: typing and receipts of their joined rooms (with room_id), their account
// data (room entries with room_id: tags, m.fully_read...) and presence (content.user_id too).
#include <algorithm>

#include "homeserver/sync/sync.h"
#include "homeserver/sync/sync_pass.h"
#include "homeserver/timeline/client_format.h"
#include "homeserver/timeline/ignored_users.h"
#include "homeserver/timeline/pagination.h"

namespace myelin::homeserver {
namespace {

constexpr std::size_t kLimit = 100;

}  // namespace

json::object SyncService::compute_events(const Session& session, storage::StreamPos from, const std::string& room_id,
                                         bool& has_updates) {
  const storage::StreamPos now = position_store_.current_pos();
  // The rooms read: the one named (which the user may read without being joined), else the
  // rooms they are joined to; what they may read of each is the whole window while they were
  // joined throughout it (the common case, no lookups), else what the visibility rules allow.
  std::vector<std::pair<std::shared_ptr<RoomState>, std::vector<PosRange>>> rooms;
  std::vector<std::string> joined;
  for (const auto& membership : store_.user_memberships(session.user_id)) {
    if (membership.membership != "join" || (!room_id.empty() && membership.room_id != room_id)) continue;
    joined.push_back(membership.room_id);
    std::shared_ptr<RoomState> room = rooms_.room(membership.room_id);
    if (!room || room->last_pos <= from) continue;
    std::vector<PosRange> ranges{{from, now}};
    if (membership.pos > from) ranges = visible_events(store_, *room, session.user_id).within(from, now);
    rooms.emplace_back(room, std::move(ranges));
  }
  if (!room_id.empty() && rooms.empty()) {
    if (std::shared_ptr<RoomState> room = rooms_.room(room_id); room && room->last_pos > from)
      rooms.emplace_back(room, visible_events(store_, *room, session.user_id).within(from, now));
  }
  std::vector<storage::StoredEvent> events;
  storage::StreamPos end = now;
  EventFilter filter;  // the users the reader ignores, whose non-state events are left out
  filter.ignored = ignored_users(user_data_store_, session.user_id);
  for (auto& [room, ranges] : rooms) {
    Page page = filtered_events(store_, room->room_id, std::move(ranges), kLimit, storage::Direction::kForward, filter);
    if (page.more && !page.events.empty()) end = std::min(end, page.events.back().pos);
    std::move(page.events.begin(), page.events.end(), std::back_inserter(events));
  }
  // A room with more than the limit cuts the answer at its last event; the rest comes next time.
  std::erase_if(events, [&](const storage::StoredEvent& event) { return event.pos > end; });
  std::sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.pos < b.pos; });
  if (events.size() > kLimit) {
    events.resize(kLimit);
    end = events.back().pos;
  }
  json::array chunk;
  for (const auto& event : events) chunk.push_back(client_event(store_, event, session.device_id));
  // The rest has no place in the room events' order: it comes once the events reached `now`.
  if (end == now) {
    for (const auto& joined_room : joined) {
      for (auto& value : room_ephemeral(typing_, user_data_store_, joined_room, session.user_id, from, false)) {
        value.as_object()["room_id"] = joined_room;
        chunk.push_back(std::move(value));
      }
    }
    for (auto& entry : user_data_store_.account_data_since(session.user_id, from)) {
      if (!room_id.empty() && entry.room_id != room_id) continue;
      auto content = core::parse_json_object(entry.content);
      json::object event{{"type", entry.type}, {"content", content ? std::move(*content) : json::object{}}};
      if (!entry.room_id.empty()) event["room_id"] = entry.room_id;
      chunk.push_back(std::move(event));
    }
    if (room_id.empty())
      for (auto& event : legacy_presence(presence_.events_since(session.user_id, from))) chunk.push_back(event);
  }
  has_updates = !chunk.empty();
  return json::object{{"start", stream_token(from)}, {"end", stream_token(end)}, {"chunk", std::move(chunk)}};
}

void SyncService::events(const Session& session, std::optional<storage::StreamPos> from,
                         const std::optional<core::RoomId>& room, std::int64_t timeout_ms,
                         std::function<void(json::object)> done) {
  const storage::StreamPos start = from.value_or(position_store_.current_pos());
  std::string room_id = room ? room->str() : "";  // "" for all the user's rooms
  // A named room is watched as well: a peeking user is not among those its events notify.
  long_poll_.run(
      session.user_id, room_id, timeout_ms,
      [this, session, start, room_id](bool& has_updates) {
        return compute_events(session, start, room_id, has_updates);
      },
      std::move(done));
}

}  // namespace myelin::homeserver
