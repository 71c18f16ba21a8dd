#pragma once
// The room cache: one RoomState per room, loaded from the store on first use and kept for the
// process's life. Only the write path changes a cached room (it applies each event it
// persists), so between writes every cached room equals the store's current state.
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "homeserver/timeline/room_state.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

class RoomCache {
 public:
  explicit RoomCache(storage::EventStore& store) : store_(store) {}

  // The cached room, loaded from the store on first use; nullptr when unknown (or of a room
  // version this server does not know).
  RoomState* room(const std::string& room_id);
  // The user and everyone joined to a room the user is joined to.
  std::set<std::string> peers(const std::string& user_id);
  // Caches a room the write path has just created (built from its first events).
  RoomState& add(std::unique_ptr<RoomState> room);

 private:
  std::unique_ptr<RoomState> load(const std::string& room_id);

  storage::EventStore& store_;
  std::unordered_map<std::string, std::unique_ptr<RoomState>> rooms_;
};

}  // namespace myelin::homeserver
