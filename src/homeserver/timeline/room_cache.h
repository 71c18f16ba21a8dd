#pragma once
// The room cache: one RoomState per room, loaded from the store on first use. Only the write
// path changes a cached room (it applies each event it persists), so between writes every
// cached room equals the store's current state.
//
// Bounded: the rooms held together keep at most `capacity` state events (a room's cost grows
// with its state, mostly its members: about 2.5 kB each). Beyond it the least recently used
// rooms are dropped when another is loaded or added, and loaded again from the store on their
// next use (RoomCache::load: state, forward extremities, latest position and state group).
//
// Ownership: room() and add() hand out shared ownership, and the cache drops only a room that
// no one else holds (use_count() == 1). So, obviously, a room is never freed while a caller
// (or a continuation) still holds it, however many rooms are loaded meanwhile, and a room
// that is held is never loaded a second time: there is at most one RoomState per room, and
// the write path always applies to the cached one. Hold the pointer for as long as the room
// is used (a reference taken from it, such as Written::room, lives no longer than the
// holder); while rooms are held the cache may exceed its bound by them. (Chosen over a trim
// at a "safe point" posted to the loop: that needs every caller to let go of its pointers
// before the loop turns, and the command line's scheduler runs posted work at once.)
// Counting the held state events walks the cached rooms, on a load only.
#include <cstddef>
#include <list>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "homeserver/timeline/room_state.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

class RoomCache {
 public:
  // `capacity`: the state events the cached rooms keep at most, held rooms aside
  // (TimelineOptions::room_cache_state_events).
  RoomCache(storage::EventStore& store, std::size_t capacity) : store_(store), capacity_(capacity) {}

  // The cached room, loaded from the store when not cached; nullptr when unknown (or of a room
  // version this server does not know). Makes it the most recently used.
  std::shared_ptr<RoomState> room(const std::string& room_id);
  // The user and everyone joined to a room the user is joined to.
  std::set<std::string> peers(const std::string& user_id);
  // Caches a room the write path has just created (built from its first events).
  std::shared_ptr<RoomState> add(std::unique_ptr<RoomState> room);

  // How many rooms are cached (for tests and measurements).
  std::size_t size() const { return index_.size(); }
  // Whether the room is cached (not a use: the order stays).
  bool cached(const std::string& room_id) const { return index_.contains(room_id); }
  // The room as the store has it now, not cached.
  std::unique_ptr<RoomState> load(const std::string& room_id);
  // Reads `room` (a cached room the caller holds) again from the store, in place: the same
  // object, now equal to the store's state (after a write replaced the room's current state).
  void reload(RoomState& room);

 private:
  using Order = std::list<std::shared_ptr<RoomState>>;  // most recently used first
  // Drops the least recently used rooms nobody holds until the rest keep at most capacity_
  // state events (or only held rooms are left).
  void evict();

  storage::EventStore& store_;
  std::size_t capacity_;
  Order order_;
  std::unordered_map<std::string, Order::iterator> index_;
};

}  // namespace myelin::homeserver
