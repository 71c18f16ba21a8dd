#pragma once
// Lazy loading (client-server-api "Lazy-loading room members"): which members each device has
// been sent, per room, so that its incremental syncs leave out the ones it already has. In
// memory only, and bounded by the members remembered over all devices: beyond the capacity
// everything is forgotten, a device holding more than a tenth of it forgets its own, and one
// that holds none keeps no record. A device without a record is simply sent its timeline
// senders' members again.
#include <cstddef>
#include <functional>
#include <set>
#include <string>
#include <unordered_map>

namespace myelin::homeserver {

// What one device has been sent.
class SentMembers {
 public:
  bool has(const std::string& room_id, const std::string& user_id) const;
  void add(const std::string& room_id, const std::string& user_id);
  // The room is new to the device again (a sync that sends its whole state).
  void forget(const std::string& room_id);
  std::size_t size() const { return size_; }

 private:
  std::unordered_map<std::string, std::set<std::string>> rooms_;
  std::size_t size_ = 0;  // members over all rooms
};

class SentMembersCache {
 public:
  explicit SentMembersCache(std::size_t capacity) : capacity_(capacity) {}

  // Runs one sync pass of `device` (user|device) with its record, then counts what it added.
  void with(const std::string& device, const std::function<void(SentMembers&)>& pass);
  std::size_t size() const { return size_; }  // members over all devices

 private:
  std::size_t capacity_;
  std::size_t size_ = 0;
  std::unordered_map<std::string, SentMembers> devices_;
};

}  // namespace myelin::homeserver
