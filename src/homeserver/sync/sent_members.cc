#include "homeserver/sync/sent_members.h"

namespace myelin::homeserver {

bool SentMembers::has(const std::string& room_id, const std::string& user_id) const {
  auto room = rooms_.find(room_id);
  return room != rooms_.end() && room->second.contains(user_id);
}

void SentMembers::add(const std::string& room_id, const std::string& user_id) {
  if (rooms_[room_id].insert(user_id).second) ++size_;
}

void SentMembers::forget(const std::string& room_id) {
  auto room = rooms_.find(room_id);
  if (room == rooms_.end()) return;
  size_ -= room->second.size();
  rooms_.erase(room);
}

void SentMembersCache::with(const std::string& device, const std::function<void(SentMembers&)>& pass) {
  if (size_ > capacity_) {
    devices_.clear();
    size_ = 0;
  }
  SentMembers& sent = devices_[device];
  size_ -= sent.size();
  // Counted again after the pass, even one that throws. A device with nothing, or beyond its
  // share, keeps no record.
  auto recount = [&] {
    if (sent.size() == 0 || sent.size() > capacity_ / 10) devices_.erase(device);
    else size_ += sent.size();
  };
  try {
    pass(sent);
  } catch (...) {
    recount();
    throw;
  }
  recount();
}

}  // namespace myelin::homeserver
