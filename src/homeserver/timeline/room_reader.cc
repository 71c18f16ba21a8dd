// RoomReader's single reads: one event, the state, the members, the joined rooms
// (homeserver/timeline/room_reader.h).
#include "homeserver/timeline/room_reader.h"

#include <algorithm>

#include "homeserver/timeline/client_format.h"

namespace myelin::homeserver {

using core::Errc;

json::array RoomReader::format(const Reader& reader, const std::vector<storage::StoredEvent>& events,
                               bool with_prev_content) {
  json::array out;
  for (const auto& event : events) out.push_back(client_event(store_, event, reader.device_id, with_prev_content));
  return out;
}

json::array RoomReader::format_state(const Reader& reader, const std::vector<std::string>& ids) {
  return format(reader, store_.events(ids), false);
}

core::Result<storage::StateMap> RoomReader::readable_state(const Reader& reader, const std::string& room_id) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  auto visible = readable_events(store_, room.get(), reader.user_id);
  if (!visible) return std::unexpected(visible.error());
  return visible_state(store_, *room, *visible, position_store_.current_pos());
}

core::Result<json::object> RoomReader::event(const Reader& reader, const core::RoomId& room_id,
                                             const core::EventId& event_id) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  auto event = store_.event(event_id);
  if (!room || !event || event->room_id != room_id) return core::fail(Errc::kNotFound, "Event not found");
  const Visible visible = visible_events(store_, *room, reader.user_id);
  if (!visible.contains(event->pos)) return core::fail(Errc::kNotFound, "Event not found");
  json::object out = client_event(store_, *event, reader.device_id);
  aggregations_.bundle(reader.user_id, reader.device_id, visible.last(position_store_.current_pos()), *event, out);
  return out;
}

core::Result<json::array> RoomReader::state(const Reader& reader, const core::RoomId& room_id) {
  auto state = readable_state(reader, room_id);
  if (!state) return std::unexpected(state.error());
  std::vector<std::string> ids;
  for (const auto& [key, event_id] : *state) ids.push_back(event_id);
  return format_state(reader, ids);
}

core::Result<json::object> RoomReader::state_event(const Reader& reader, const core::RoomId& room_id,
                                                   const std::string& type, const std::string& state_key) {
  auto state = readable_state(reader, room_id);
  if (!state) return std::unexpected(state.error());
  auto it = state->find({type, state_key});
  if (it == state->end()) return core::fail(Errc::kNotFound, "Event not found");
  auto event = store_.event(it->second);
  if (!event) return core::fail(Errc::kNotFound, "Event not found");
  return client_event(store_, *event, reader.device_id, false);
}

core::Result<json::array> RoomReader::members(const Reader& reader, const core::RoomId& room_id,
                                              const MembersQuery& query) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  const auto visible = readable_events(store_, room.get(), reader.user_id);
  if (!visible) return std::unexpected(visible.error());
  // The members as of `at` (a sync or pagination token), never later than the reader may see.
  storage::StreamPos at = visible->last(position_store_.current_pos());
  if (query.at) at = std::min(at, *query.at);
  std::vector<std::string> ids;
  for (const auto& [key, event_id] : state_at(store_, *room, at))
    if (key.first == "m.room.member") ids.push_back(event_id);
  json::array chunk;
  for (const auto& event : store_.events(ids)) {
    json::object member = client_event(store_, event, reader.device_id, false);
    const std::string_view membership = string_field(member["content"].as_object(), "membership");
    if ((query.membership && membership != *query.membership) ||
        (query.not_membership && membership == *query.not_membership))
      continue;
    chunk.push_back(std::move(member));
  }
  return chunk;
}

core::Result<json::object> RoomReader::joined_members(const core::UserId& user_id, const core::RoomId& room_id) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  if (!room || room->membership(user_id.str()) != "join")
    return core::fail(Errc::kForbidden, "You are not a member of this room");
  json::object joined;
  for (const auto& user : room->joined) {
    json::object profile{{"display_name", nullptr}, {"avatar_url", nullptr}};
    if (const json::object* content = room->content("m.room.member", user)) {
      if (auto name = content->if_contains("displayname"); name && name->is_string()) profile["display_name"] = *name;
      if (auto avatar = content->if_contains("avatar_url"); avatar && avatar->is_string())
        profile["avatar_url"] = *avatar;
    }
    joined[user] = std::move(profile);
  }
  return joined;
}

std::vector<std::string> RoomReader::joined_rooms(const core::UserId& user_id) {
  std::vector<std::string> rooms;
  for (const auto& membership : store_.user_memberships(user_id))
    if (membership.membership == "join") rooms.push_back(membership.room_id);
  return rooms;
}

}  // namespace myelin::homeserver
