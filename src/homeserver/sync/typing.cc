#include "homeserver/sync/typing.h"

#include <algorithm>

namespace myelin::homeserver {

void Typing::changed(const std::string& room_id, Room& room) {
  room.changed_at = store_.allocate_pos();
  if (std::shared_ptr<RoomState> state = room_cache_.room(room_id))
    for (const auto& user : state->joined) notifier_.notify_user(user);
}

void Typing::set(const core::RoomId& room_id, const core::UserId& user_id, bool typing, std::int64_t timeout_ms) {
  Room& room = rooms_[room_id];
  auto existing = room.typists.find(user_id);
  if (!typing) {
    if (existing == room.typists.end()) return;
    existing->second->cancel();
    room.typists.erase(existing);
    changed(room_id, room);
    return;
  }
  timeout_ms = std::clamp<std::int64_t>(timeout_ms, 1000, 120'000);
  const bool was_typing = existing != room.typists.end();
  if (was_typing) existing->second->cancel();
  room.typists[user_id] = scheduler_.after(std::chrono::milliseconds(timeout_ms), [this, room_id, user_id] {
    auto it = rooms_.find(room_id);
    if (it == rooms_.end()) return;
    it->second.typists.erase(user_id);
    changed(room_id, it->second);
  });
  if (!was_typing) changed(room_id, room);
}

std::vector<std::string> Typing::users(const std::string& room_id) const {
  std::vector<std::string> out;
  if (auto it = rooms_.find(room_id); it != rooms_.end())
    for (const auto& [user, timer] : it->second.typists) out.push_back(user);
  return out;
}

storage::StreamPos Typing::changed_at(const std::string& room_id) const {
  auto it = rooms_.find(room_id);
  return it == rooms_.end() ? 0 : it->second.changed_at;
}

}  // namespace myelin::homeserver
