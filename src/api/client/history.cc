// GET /_matrix/client/v3/rooms/{roomId}/messages ("Getting events for a room": pagination in
// both directions, with a RoomEventFilter) and GET /rooms/{roomId}/context/{eventId}.
// Tokens are stream tokens (homeserver/sync.h): backwards from T returns events at
// positions <= T, forwards from T returns positions > T.
#include <algorithm>
#include <set>

#include "api/handlers.h"
#include "homeserver/timeline/client_format.h"
#include "homeserver/timeline/filter.h"
#include "homeserver/timeline/pagination.h"
#include "homeserver/sync/sync.h"
#include "homeserver/timeline/visibility.h"

namespace myelin::api {
namespace {

using core::Errc;
using storage::StreamPos;

core::Result<homeserver::EventFilter> filter_param(const http::Request& request) {
  auto text = request.query_param("filter");
  if (!text) return homeserver::EventFilter{};
  auto parsed = core::parse_json_object(*text);
  if (!parsed) return std::unexpected(parsed.error());
  return homeserver::parse_event_filter(*parsed, 10);
}

// Member events of the senders of `events` (lazy loading) in the state the user may see: the
// current state while they may read the room, else the state at the last event they may read
// (a former member learns nothing of profile changes made after they left).
json::array lazy_members(Call& call, homeserver::RoomState& room, const homeserver::Visible& visible,
                         const std::vector<storage::StoredEvent>& events) {
  std::set<std::string> senders;
  for (const auto& event : events) senders.insert(event.sender);
  const storage::StreamPos now = call.hs.store.current_pos();
  const bool current = visible.contains(now);
  const storage::StateMap past = current ? storage::StateMap{} : homeserver::visible_state(call.hs.store, room, visible, now);
  std::vector<std::string> ids;
  for (const auto& sender : senders) {
    if (current) {
      if (const auto* entry = room.find("m.room.member", sender)) ids.push_back(entry->event_id);
    } else if (auto it = past.find({"m.room.member", sender}); it != past.end()) {
      ids.push_back(it->second);
    }
  }
  json::array out;
  for (const auto& event : call.hs.store.events(ids))
    out.push_back(homeserver::client_event(call.hs.store, event, call.user().device_id, false));
  return out;
}

json::array format(Call& call, const std::vector<storage::StoredEvent>& events) {
  json::array out;
  for (const auto& event : events) out.push_back(homeserver::client_event(call.hs.store, event, call.user().device_id));
  return out;
}

}  // namespace

void get_messages(Call& call) {
  homeserver::RoomState* room = call.hs.timeline.room(call.param(0));
  const auto visible = homeserver::readable_events(call.hs.store, room, call.user().user_id);
  if (!visible) return call.fail(visible.error());
  auto dir = call.request.query_param("dir");
  if (!dir || (*dir != "b" && *dir != "f"))
    return call.fail(core::make_error(Errc::kInvalidParam, "dir must be b or f"));
  auto from = stream_token_param(call.request, "from");
  auto to = stream_token_param(call.request, "to");
  auto filter = filter_param(call.request);
  if (!from) return call.fail(from.error());
  if (!to) return call.fail(to.error());
  if (!filter) return call.fail(filter.error());
  auto requested = int_query_param(call.request, "limit", 10);
  if (!requested) return call.fail(requested.error());
  const std::int64_t limit = std::clamp<std::int64_t>(*requested, 1, 1000);
  const bool backwards = *dir == "b";
  const StreamPos now = call.hs.store.current_pos();
  const StreamPos lower = backwards ? to->value_or(0) : from->value_or(0);
  const StreamPos upper = std::min(now, backwards ? from->value_or(now) : to->value_or(now));
  const StreamPos start = backwards ? upper : lower;

  auto page = homeserver::filtered_events(call.hs.store, call.param(0), visible->within(lower, upper),
                                          static_cast<std::size_t>(limit),
                                          backwards ? storage::Direction::kBackward : storage::Direction::kForward,
                                          *filter);
  const auto& chunk = page.events;
  json::object response{{"start", homeserver::stream_token(start)}, {"chunk", format(call, chunk)}};
  if (page.more) response["end"] = homeserver::stream_token(page.next);
  if (filter->lazy_load_members) response["state"] = lazy_members(call, *room, *visible, chunk);
  call.reply(response);
}

void get_context(Call& call) {
  homeserver::RoomState* room = call.hs.timeline.room(call.param(0));
  const auto visible = homeserver::readable_events(call.hs.store, room, call.user().user_id);
  if (!visible) return call.fail(visible.error());
  auto event = call.hs.store.event(call.param(1));
  if (!event || event->room_id != call.param(0) || !visible->contains(event->pos))
    return call.fail(core::make_error(Errc::kNotFound, "Event not found"));
  auto filter = filter_param(call.request);
  if (!filter) return call.fail(filter.error());
  auto requested = int_query_param(call.request, "limit", 10);
  if (!requested) return call.fail(requested.error());
  const std::int64_t limit = std::clamp<std::int64_t>(*requested, 0, 100);
  const auto before_count = static_cast<std::size_t>(limit / 2);
  const auto after_count = static_cast<std::size_t>(limit) - before_count;
  const StreamPos now = call.hs.store.current_pos();
  auto read = [&](StreamPos lower, StreamPos upper, std::size_t count, storage::Direction dir) {
    if (count == 0) return std::vector<storage::StoredEvent>();
    return homeserver::filtered_events(call.hs.store, call.param(0), visible->within(lower, upper), count, dir, *filter)
        .events;
  };
  auto before = read(0, event->pos - 1, before_count, storage::Direction::kBackward);
  auto after = read(event->pos, now, after_count, storage::Direction::kForward);

  json::array state;
  if (filter->lazy_load_members) {
    std::vector<storage::StoredEvent> all = before;
    all.insert(all.end(), after.begin(), after.end());
    all.push_back(*event);
    state = lazy_members(call, *room, *visible, all);
  } else {
    std::vector<std::string> ids;
    for (const auto& [key, event_id] : call.hs.store.state_group(event->state_group)) ids.push_back(event_id);
    for (const auto& e : call.hs.store.events(ids))
      state.push_back(homeserver::client_event(call.hs.store, e, call.user().device_id, false));
  }
  call.reply(json::object{
      {"event", homeserver::client_event(call.hs.store, *event, call.user().device_id)},
      {"events_before", format(call, before)},
      {"events_after", format(call, after)},
      {"start", homeserver::stream_token(before.empty() ? event->pos - 1 : before.back().pos - 1)},
      {"end", homeserver::stream_token(after.empty() ? event->pos : after.back().pos)},
      {"state", std::move(state)}});
}

}  // namespace myelin::api
