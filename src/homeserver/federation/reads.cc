#include "homeserver/federation/reads.h"

#include <algorithm>
#include <utility>

#include "core/clock.h"
#include "homeserver/federation/pdu_fields.h"
#include "homeserver/timeline/visibility.h"
#include "rooms/event_format.h"
#include "rooms/server_acl.h"

namespace myelin::homeserver {
namespace {

core::Result<std::vector<std::string>> string_array(const json::object& body, std::string_view key) {
  constexpr std::size_t kMaxIds = 100;
  const json::value* value = body.if_contains(key);
  if (!value || !value->is_array() || value->get_array().size() > kMaxIds)
    return core::fail(core::Errc::kBadJson, std::string(key) + " must be an array of at most 100 event IDs");
  std::vector<std::string> ids;
  for (const json::value& id : value->get_array()) {
    if (!id.is_string()) return core::fail(core::Errc::kBadJson, std::string(key) + " must hold event IDs");
    ids.emplace_back(id.get_string());
  }
  return ids;
}

core::Result<std::int64_t> integer_or(const json::object& body, std::string_view key, std::int64_t fallback) {
  const json::value* value = body.if_contains(key);
  if (!value) return fallback;
  if (!value->is_int64()) return core::fail(core::Errc::kBadJson, std::string(key) + " must be an integer");
  return value->get_int64();
}

}  // namespace

core::Result<std::shared_ptr<RoomState>> FederationReads::readable_room(const std::string& origin,
                                                                        const std::string& room_id) {
  auto room = rooms_.room(room_id);
  if (!room) return core::fail(core::Errc::kNotFound, "Unknown room");
  const json::object* visibility = room->content("m.room.history_visibility", "");
  const bool world_readable = visibility && string_field(*visibility, "history_visibility") == "world_readable";
  if (!rooms::server_allowed_by_acl(room->content("m.room.server_acl", ""), origin))
    return core::fail(core::Errc::kForbidden, "The room's server ACL denies your server");
  if (!room->joined_servers.contains(origin) && !world_readable)
    return core::fail(core::Errc::kForbidden, "No user of your server is in the room");
  return room;
}

core::Result<FederationReads::Found> FederationReads::readable_event(const std::string& origin,
                                                                     const std::string& room_id,
                                                                     const std::string& event_id) {
  auto event = store_.event(event_id);
  if (!event || (!room_id.empty() && event->room_id != room_id))
    return core::fail(core::Errc::kNotFound, "Unknown event");
  auto room = readable_room(origin, event->room_id);
  if (!room) return std::unexpected(room.error());
  return Found{std::move(*room), std::move(*event)};
}

json::object FederationReads::as_transaction(json::array pdus) const {
  return json::object{{"origin", server_name_}, {"origin_server_ts", core::now_ms()}, {"pdus", std::move(pdus)}};
}

std::vector<FederationReads::Pdu> FederationReads::room_events(const RoomState& room,
                                                               const std::vector<std::string>& ids) {
  std::vector<Pdu> found;
  for (auto& event : store_.events(ids)) {
    if (event.room_id != room.room_id) continue;
    if (auto pdu = core::parse_json_object(event.json)) {
      rooms::sign_own_event(*pdu, *room.rules, server_name_, key_);
      found.push_back({std::move(event.event_id), std::move(*pdu), event.pos});
    }
  }
  return found;
}

void FederationReads::redact_unreadable(const RoomState& room, const std::string& origin, std::vector<Pdu>& pdus) {
  constexpr std::size_t kMaxUsers = 100;
  bool timeline = false;
  for (const Pdu& pdu : pdus) timeline = timeline || pdu.pos != 0;
  if (!timeline) return;
  // The union of what the origin's users named in the member state may read.
  std::vector<PosRange> ranges;
  std::size_t users = 0;
  for (auto it = room.state.lower_bound({"m.room.member", ""});
       it != room.state.end() && it->first.first == "m.room.member" && users < kMaxUsers; ++it) {
    if (server_of_user(it->first.second) != origin) continue;
    ++users;
    const Visible visible = visible_events(store_, room, it->first.second);
    ranges.insert(ranges.end(), visible.ranges().begin(), visible.ranges().end());
  }
  std::ranges::sort(ranges, {}, &PosRange::lower);
  auto readable = [&ranges](storage::StreamPos pos) {
    return std::ranges::any_of(ranges,
                               [pos](const PosRange& range) { return range.lower < pos && pos <= range.upper; });
  };
  for (Pdu& pdu : pdus)
    if (pdu.pos != 0 && !readable(pdu.pos)) pdu.pdu = rooms::redact(pdu.pdu, *room.rules);
}

core::Result<json::object> FederationReads::event(const std::string& origin, const std::string& event_id) {
  auto found = readable_event(origin, "", event_id);
  if (!found) return std::unexpected(found.error());
  auto pdu = core::parse_json_object(found->event.json);
  if (!pdu) return core::fail(core::Errc::kInternal, "Stored event is not JSON");
  rooms::sign_own_event(*pdu, *found->room->rules, server_name_, key_);
  std::vector<Pdu> pdus{{found->event.event_id, std::move(*pdu), found->event.pos}};
  redact_unreadable(*found->room, origin, pdus);
  return as_transaction(json::array{json::value(std::move(pdus.front().pdu))});
}

core::Result<std::vector<FederationReads::Pdu>> FederationReads::auth_chain(const RoomState& room,
                                                                            const std::vector<Pdu>& pdus) {
  std::set<std::string> seen;
  std::vector<std::string> next;
  auto follow = [&](const json::object& pdu) {
    for (std::string_view id : rooms::referenced_event_ids(pdu, "auth_events", *room.rules))
      if (seen.emplace(id).second) next.emplace_back(id);
  };
  for (const Pdu& pdu : pdus) follow(pdu.pdu);
  std::vector<Pdu> chain;
  while (!next.empty()) {  // one store read per generation
    if (seen.size() > kMaxAuthChain) return core::fail(core::Errc::kInternal, "The auth chain is too large to send");
    std::vector<Pdu> layer = room_events(room, std::exchange(next, {}));
    for (Pdu& event : layer) {
      follow(event.pdu);
      chain.push_back(std::move(event));
    }
  }
  return chain;
}

core::Result<std::pair<std::vector<FederationReads::Pdu>, std::vector<FederationReads::Pdu>>> FederationReads::state_at(
    const Found& found) {
  if (found.event.pos <= 0) return core::fail(core::Errc::kNotFound, "The state at that event is not known here");
  const storage::StateMap state = state_before(store_, found.event);
  std::vector<std::string> ids;
  ids.reserve(state.size());
  for (const auto& [key, id] : state) ids.push_back(id);
  std::vector<Pdu> pdus = room_events(*found.room, ids);
  auto chain = auth_chain(*found.room, pdus);
  if (!chain) return std::unexpected(chain.error());
  return std::make_pair(std::move(pdus), std::move(*chain));
}

core::Result<json::object> FederationReads::state_ids(const std::string& origin, const std::string& room_id,
                                                      const std::string& event_id) {
  auto found = readable_event(origin, room_id, event_id);
  if (!found) return std::unexpected(found.error());
  auto state = state_at(*found);
  if (!state) return std::unexpected(state.error());
  json::array pdu_ids, chain_ids;
  for (const Pdu& pdu : state->first) pdu_ids.emplace_back(pdu.event_id);
  for (const Pdu& pdu : state->second) chain_ids.emplace_back(pdu.event_id);
  return json::object{{"pdu_ids", std::move(pdu_ids)}, {"auth_chain_ids", std::move(chain_ids)}};
}

core::Result<json::object> FederationReads::state(const std::string& origin, const std::string& room_id,
                                                  const std::string& event_id) {
  auto found = readable_event(origin, room_id, event_id);
  if (!found) return std::unexpected(found.error());
  auto state = state_at(*found);
  if (!state) return std::unexpected(state.error());
  json::array pdus, chain;
  for (Pdu& pdu : state->first) pdus.emplace_back(std::move(pdu.pdu));
  for (Pdu& pdu : state->second) chain.emplace_back(std::move(pdu.pdu));
  return json::object{{"pdus", std::move(pdus)}, {"auth_chain", std::move(chain)}};
}

core::Result<json::object> FederationReads::event_auth(const std::string& origin, const std::string& room_id,
                                                       const std::string& event_id) {
  auto found = readable_event(origin, room_id, event_id);
  if (!found) return std::unexpected(found.error());
  auto pdu = core::parse_json_object(found->event.json);
  if (!pdu) return core::fail(core::Errc::kInternal, "Stored event is not JSON");
  auto chain = auth_chain(*found->room, {Pdu{event_id, std::move(*pdu)}});
  if (!chain) return std::unexpected(chain.error());
  json::array pdus;
  for (Pdu& event : *chain) pdus.emplace_back(std::move(event.pdu));
  return json::object{{"auth_chain", std::move(pdus)}};
}

std::vector<FederationReads::Pdu> FederationReads::walk_back(const RoomState& room, std::vector<std::string> start,
                                                             std::set<std::string> skip, std::size_t limit,
                                                             std::int64_t min_depth) {
  std::vector<Pdu> found;
  std::vector<std::string> next;
  for (std::string& id : start)
    if (skip.insert(id).second) next.push_back(std::move(id));
  while (!next.empty() && found.size() < limit) {  // one store read per generation
    for (Pdu& event : room_events(room, std::exchange(next, {}))) {
      if (found.size() == limit) break;
      if (depth_of(event.pdu) < min_depth) continue;
      for (std::string_view prev : rooms::referenced_event_ids(event.pdu, "prev_events", *room.rules))
        if (skip.emplace(prev).second) next.emplace_back(prev);
      found.push_back(std::move(event));
    }
  }
  std::ranges::stable_sort(found, {}, [](const Pdu& event) { return depth_of(event.pdu); });
  return found;
}

core::Result<json::object> FederationReads::missing_events(const std::string& origin, const std::string& room_id,
                                                           const json::value& body) {
  if (!body.is_object()) return core::fail(core::Errc::kBadJson, "The body must be an object");
  const json::object& request = body.get_object();
  auto earliest = string_array(request, "earliest_events");
  if (!earliest) return std::unexpected(earliest.error());
  auto latest = string_array(request, "latest_events");
  if (!latest) return std::unexpected(latest.error());
  auto limit = integer_or(request, "limit", 10);
  if (!limit) return std::unexpected(limit.error());
  auto min_depth = integer_or(request, "min_depth", 0);
  if (!min_depth) return std::unexpected(min_depth.error());
  auto room = readable_room(origin, room_id);
  if (!room) return std::unexpected(room.error());
  std::set<std::string> skip(earliest->begin(), earliest->end());
  skip.insert(latest->begin(), latest->end());
  std::vector<std::string> start;  // the prev events of latest_events
  for (const Pdu& event : room_events(**room, *latest))
    for (std::string_view prev : rooms::referenced_event_ids(event.pdu, "prev_events", *(*room)->rules))
      start.emplace_back(prev);
  const auto count =
      static_cast<std::size_t>(std::clamp<std::int64_t>(*limit, 0, static_cast<std::int64_t>(kMaxMissingEvents)));
  std::vector<Pdu> found = walk_back(**room, std::move(start), std::move(skip), count, *min_depth);
  redact_unreadable(**room, origin, found);
  json::array events;
  for (Pdu& event : found) events.emplace_back(std::move(event.pdu));
  return json::object{{"events", std::move(events)}};
}

core::Result<json::object> FederationReads::backfill(const std::string& origin, const std::string& room_id,
                                                     const std::vector<std::string>& from, std::int64_t limit) {
  constexpr std::size_t kMaxFrom = 20;
  if (from.empty() || from.size() > kMaxFrom)
    return core::fail(core::Errc::kInvalidParam, "v must name 1 to 20 event IDs");
  auto room = readable_room(origin, room_id);
  if (!room) return std::unexpected(room.error());
  const auto count =
      static_cast<std::size_t>(std::clamp<std::int64_t>(limit, 0, static_cast<std::int64_t>(kMaxBackfill)));
  // Deepest first: the history from the named events backwards, as the requester pages it.
  std::vector<Pdu> found = walk_back(**room, from, {}, count, 0);
  redact_unreadable(**room, origin, found);
  json::array pdus;
  for (auto event = found.rbegin(); event != found.rend(); ++event) pdus.emplace_back(std::move(event->pdu));
  return as_transaction(std::move(pdus));
}

}  // namespace myelin::homeserver
