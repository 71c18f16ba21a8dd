#include "homeserver/timeline/room_cache.h"

namespace myelin::homeserver {

RoomState* RoomCache::room(const std::string& room_id) {
  if (auto it = rooms_.find(room_id); it != rooms_.end()) return it->second.get();
  auto loaded = load(room_id);
  if (!loaded) return nullptr;
  return &add(std::move(loaded));
}

RoomState& RoomCache::add(std::unique_ptr<RoomState> room) {
  RoomState& added = *room;
  rooms_[added.room_id] = std::move(room);
  return added;
}

std::unique_ptr<RoomState> RoomCache::load(const std::string& room_id) {
  auto parsed = core::RoomId::parse(room_id);  // no room has a malformed ID
  auto record = parsed ? store_.room(*parsed) : std::nullopt;
  if (!record) return nullptr;
  auto state = std::make_unique<RoomState>();
  state->room_id = room_id;
  state->rules = rooms::find_room_version(record->version);
  if (!state->rules) return nullptr;
  storage::StateMap current = store_.current_state(room_id);
  std::vector<std::string> ids;
  ids.reserve(current.size());
  for (const auto& [key, event_id] : current) ids.push_back(event_id);
  for (auto& event : store_.events(ids)) {
    auto pdu = core::parse_json_object(event.json);
    if (!pdu || !event.state_key) continue;
    state->state[{event.type, *event.state_key}] =
        StateEntry{event.event_id, event.pos, std::make_shared<const json::object>(std::move(*pdu))};
  }
  for (const auto& [key, entry] : state->state) {
    if (key.first != "m.room.member") continue;
    const std::string membership = state->membership(key.second);
    if (membership == "join") state->joined.insert(key.second);
    if (membership == "invite") state->invited.insert(key.second);
  }
  state->extremities = store_.forward_extremities(room_id);
  for (const auto& extremity : state->extremities) {
    if (auto latest = store_.event(extremity.event_id); latest && latest->pos > state->last_pos) {
      state->last_pos = latest->pos;
      state->state_group = latest->state_group;
    }
  }
  state->member_log_from = state->last_pos;  // later membership changes are all logged
  return state;
}

std::set<std::string> RoomCache::peers(const std::string& user_id) {
  std::set<std::string> peers{user_id};
  for (const auto& membership : store_.user_memberships(user_id)) {
    if (membership.membership != "join") continue;
    if (RoomState* joined = room(membership.room_id)) peers.insert(joined->joined.begin(), joined->joined.end());
  }
  return peers;
}

}  // namespace myelin::homeserver
