#include "homeserver/timeline/room_cache.h"

namespace myelin::homeserver {

std::shared_ptr<RoomState> RoomCache::room(const std::string& room_id) {
  if (auto it = index_.find(room_id); it != index_.end()) {
    order_.splice(order_.begin(), order_, it->second);
    return order_.front();
  }
  auto loaded = load(room_id);
  if (!loaded) return nullptr;
  return add(std::move(loaded));
}

std::shared_ptr<RoomState> RoomCache::add(std::unique_ptr<RoomState> room) {
  std::shared_ptr<RoomState> added = std::move(room);
  order_.push_front(added);
  index_[added->room_id] = order_.begin();
  evict();  // `added` is held here, so it stays
  return added;
}

void RoomCache::evict() {
  std::size_t kept = 0;
  for (const auto& room : order_) kept += room->state.size();
  for (auto it = order_.end(); kept > capacity_ && it != order_.begin();) {
    --it;
    if (it->use_count() > 1) continue;  // in use: never freed, never loaded twice
    kept -= (*it)->state.size();
    index_.erase((*it)->room_id);
    it = order_.erase(it);
  }
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
    state->set_membership(key.second, state->membership(key.second));
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

void RoomCache::reload(RoomState& room) {
  if (auto fresh = load(room.room_id)) room = std::move(*fresh);
}

std::set<std::string> RoomCache::peers(const std::string& user_id) {
  std::set<std::string> peers{user_id};
  for (const auto& membership : store_.user_memberships(user_id)) {
    if (membership.membership != "join") continue;
    if (auto joined = room(membership.room_id)) peers.insert(joined->joined.begin(), joined->joined.end());
  }
  return peers;
}

}  // namespace myelin::homeserver
