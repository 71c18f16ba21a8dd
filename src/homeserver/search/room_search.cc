#include "homeserver/search/room_search.h"

#include <algorithm>
#include <map>
#include <set>

#include "homeserver/timeline/client_format.h"
#include "homeserver/timeline/ignored_users.h"
#include "homeserver/timeline/pagination.h"
#include "homeserver/timeline/visibility.h"

namespace myelin::homeserver {
namespace {

using core::Errc;
using storage::StreamPos;

std::vector<storage::PosBounds> bounds_of(const Visible& visible) {
  std::vector<storage::PosBounds> out;
  for (const auto& range : visible.ranges()) out.emplace_back(range.lower, range.upper);
  return out;
}

// What the rules let `user_id` read of the room.
Visible readable(storage::EventStore& events, const std::string& room_id, const std::string& user_id) {
  return compute_visible(events.history_visibility_changes(room_id), events.membership_changes(room_id, user_id));
}

// A member event's displayname and avatar_url (the strings among them).
json::object profile_of(const storage::StoredEvent& member) {
  json::object profile;
  auto pdu = core::parse_json_object(member.json);
  if (!pdu) return profile;
  auto content = pdu->if_contains("content");
  if (!content || !content->is_object()) return profile;
  for (const char* key : {"displayname", "avatar_url"})
    if (auto value = content->get_object().if_contains(key); value && value->is_string()) profile[key] = *value;
  return profile;
}

}  // namespace

SearchContext RoomSearch::context(const Reader& reader, const EventFilter& shown, const storage::StoredEvent& event,
                                  const Visible& visible, const EventContextRequest& request) {
  auto read = [&](StreamPos lower, StreamPos upper, std::int64_t n, storage::Direction dir) {
    if (n <= 0) return std::vector<storage::StoredEvent>();
    return filtered_events(events_, event.room_id, visible.within(lower, upper), static_cast<std::size_t>(n), dir,
                           shown)
        .events;
  };
  auto before = read(0, event.pos - 1, request.before_limit, storage::Direction::kBackward);
  auto after = read(event.pos, positions_.current_pos(), request.after_limit, storage::Direction::kForward);
  SearchContext out;
  for (const auto& e : before) out.before.push_back(client_event(events_, e, reader.device_id));
  for (const auto& e : after) out.after.push_back(client_event(events_, e, reader.device_id));
  out.start = before.empty() ? event.pos - 1 : before.back().pos - 1;
  out.end = after.empty() ? event.pos : after.back().pos;
  if (request.include_profile) {
    // The senders' profiles as the room's state had them at the result.
    std::set<std::string> senders{event.sender};
    for (const auto* list : {&before, &after})
      for (const auto& e : *list) senders.insert(e.sender);
    const storage::StateMap state = events_.state_group(event.state_group);
    json::object profiles;
    for (const auto& sender : senders) {
      auto it = state.find({"m.room.member", sender});
      if (it == state.end()) continue;
      if (auto member = events_.event(it->second)) profiles[sender] = profile_of(*member);
    }
    out.profile_info = std::move(profiles);
  }
  return out;
}

core::Result<SearchResults> RoomSearch::search(const Reader& reader, const SearchRequest& request) {
  SearchResults out;
  out.highlights = request.words;
  const std::optional<SearchToken>& token = request.next_batch;
  const StreamPos now = positions_.current_pos();

  storage::SearchQuery query;
  query.words = request.words;
  query.keys = request.keys;
  query.order = request.order;
  query.bound = token ? std::min(token->bound, now) : now;
  if (token) query.after = token->after;
  query.limit = static_cast<std::size_t>(request.filter.limit);
  const bool one_room = token && token->scope == GroupKey::kRoomId;
  const bool one_sender = token && token->scope == GroupKey::kSender;
  const EventFilter& filter = request.filter;
  // Nothing a user the reader ignores said (client-server-api "Ignoring Users"): their messages
  // are left out of the results and of the context; names and topics are state, and stay.
  EventFilter shown;
  shown.ignored = ignored_users(user_data_, reader.user_id);
  if (filter.types || filter.not_types || filter.senders || filter.not_senders || one_sender || shown.ignored)
    query.accept = [&](std::string_view type, std::string_view sender) {
      return filter.matches(type, sender) && shown.shows(type, sender, type != "m.room.message") &&
             (!one_sender || sender == token->scope_value);
    };
  std::map<std::string, Visible> visible;  // per room searched
  for (const auto& membership : events_.user_memberships(reader.user_id)) {
    if (!request.filter.matches_room(membership.room_id) || (one_room && membership.room_id != token->scope_value) ||
        events_.is_forgotten(reader.user_id, membership.room_id))
      continue;
    Visible ranges = readable(events_, membership.room_id, reader.user_id);
    if (ranges.empty()) continue;
    query.rooms.push_back({membership.room_id, bounds_of(ranges)});
    visible.emplace(membership.room_id, std::move(ranges));
  }
  if (!query.words.empty() && !query.rooms.empty()) {
    storage::SearchPage page = search_.search_events(query);
    out.count = page.count;
    if (page.more) {
      SearchToken next{request.order, query.bound, {page.hits.back().rank, page.hits.back().pos}, {}, {}};
      if (token) {
        next.scope = token->scope;
        next.scope_value = token->scope_value;
      }
      out.next_batch = encode_search_token(next);
    }
    std::vector<storage::StoredEvent> stored;
    for (const auto& hit : page.hits) {
      auto event = events_.event(hit.event_id);
      if (!event) continue;
      SearchResult result{hit.rank, client_event(events_, *event, reader.device_id), std::nullopt};
      if (request.event_context)
        result.context = context(reader, shown, *event, visible.at(event->room_id), *request.event_context);
      out.results.push_back(std::move(result));
      stored.push_back(std::move(*event));
    }

    if (!request.group_by.empty()) {
      json::object groups;
      for (GroupKey key : request.group_by) {
        json::object& group = groups[key == GroupKey::kRoomId ? "room_id" : "sender"].emplace_object();
        std::int64_t order = 0;
        for (const auto& event : stored) {
          const std::string& value = key == GroupKey::kRoomId ? event.room_id : event.sender;
          json::object& entry = core::child(group, value);
          if (entry.empty()) {
            entry["order"] = ++order;
            entry["results"] = json::array();
            if (page.more) {
              SearchToken next{request.order, query.bound, {page.hits.back().rank, page.hits.back().pos}, key, value};
              entry["next_batch"] = encode_search_token(next);
            }
          }
          entry["results"].as_array().push_back(json::string(event.event_id));
        }
      }
      out.groups = std::move(groups);
    }
    if (request.include_state) {
      json::object state;
      for (const auto& event : stored) {
        if (state.contains(event.room_id)) continue;
        std::shared_ptr<RoomState> room = rooms_.room(event.room_id);
        json::array events;
        if (room) {
          std::vector<std::string> state_ids;
          for (const auto& [key, id] : visible_state(events_, *room, visible.at(event.room_id), now))
            state_ids.push_back(id);
          for (const auto& e : events_.events(state_ids))
            events.push_back(client_event(events_, e, reader.device_id, false));
        }
        state[event.room_id] = std::move(events);
      }
      out.state = std::move(state);
    }
  } else {
    if (!request.group_by.empty()) out.groups = json::object{};
    if (request.include_state) out.state = json::object{};
  }
  return out;
}

core::Result<EventAtTime> RoomSearch::event_at(const Reader& reader, const core::RoomId& room_id, std::int64_t ts,
                                               storage::Direction dir) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  auto ranges = readable_events(events_, room.get(), reader.user_id);
  if (!ranges) return std::unexpected(ranges.error());
  auto found = search_.event_near_time(room_id, ts, dir, bounds_of(*ranges));
  if (!found)
    return core::fail(Errc::kNotFound, "No event " +
                                           std::string(dir == storage::Direction::kForward ? "from" : "until") + " " +
                                           std::to_string(ts) + " in this room");
  return EventAtTime{found->event_id, found->origin_server_ts};
}

}  // namespace myelin::homeserver
