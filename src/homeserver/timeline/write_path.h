#pragma once
// The one write path of room events: persist (one store transaction) → apply (the room cache
// follows the store) → announce (every subscriber hears of each event, in order). Everything
// that adds events to a room comes through here: local sends (Timeline::send, and so
// membership changes, upgrades and guest removal), createRoom's and an upgrade's new room
// (write_new_room), and — once federation exists — events received from other servers, through
// write(). What reacts to new events (the Notifier, guest removal; later the federation sender
// and push) subscribes at wiring time (homeserver.h) instead of being called from here.
#include <functional>
#include <vector>

#include "homeserver/timeline/event_builder.h"
#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/room_state.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

// What the write path announces: one event, persisted at `at` and applied to `room` (held by
// the writer for the call, so valid until the subscriber returns; hold RoomCache::room to keep it).
struct Written {
  const RoomState& room;
  const BuiltEvent& event;
  storage::Persisted at;
  // One of a new room's first events (createRoom, an upgrade's replacement room): announced
  // once the whole batch is applied, so `room` is already the state after the batch.
  bool creates_room = false;
};

class WritePath {
 public:
  using Subscriber = std::function<void(const Written&)>;
  WritePath(storage::EventStore& store, RoomCache& rooms) : store_(store), rooms_(rooms) {}

  // Subscribers are called in the order they subscribed, synchronously, after the event is
  // persisted and applied. One may write events itself (guest removal does); those are
  // persisted and announced to every subscriber before the next one hears of this event,
  // which then sees `room` as those writes left it — so such a subscriber comes last.
  void subscribe(Subscriber subscriber) { subscribers_.push_back(std::move(subscriber)); }

  // The entrance for one event into a known room. `event` is already built and authorised:
  // its row names the state it was authorised against (state_group_before) and its
  // prev_events, and the store derives the state after it from those. `room` is the cached
  // room, which the caller holds (RoomCache::room) throughout, so the cache keeps this very
  // object and loads no second copy meanwhile; on return it reflects the event, and every
  // subscriber has heard of it. A local send passes an event built on the room's current state
  // (EventBuilder); a receiver of remote events will pass one it checked against the state
  // before it (which may leave the room with several forward extremities).
  // An event whose row sets current_state replaces the room's state: the cached room is read
  // again from the store (RoomCache::reload) instead of having the event applied.
  storage::Persisted write(RoomState& room, const BuiltEvent& event);

  // A local user's join through another server (federation/remote_joins.h): `join` carries
  // state_before and current_state (the room's state from send_join, its events already
  // stored as outliers, plus the join). A room the store does not know yet gets `record`; the
  // room is then cached as the store has it and the join announced like any event.
  storage::Persisted write_remote_join(const storage::RoomRecord& record, const BuiltEvent& join);

  // A new room: its record and its first events (built in order, each on the state after the
  // one before; the first with state_group_before 0, the others kStateGroupOfPrevious) in one
  // store transaction, then the room cached as those events leave it, then each announced.
  void write_new_room(const storage::RoomRecord& record, const rooms::RoomVersionRules& rules,
                      const std::vector<BuiltEvent>& events);

 private:
  void announce(const Written& written) const;

  storage::EventStore& store_;
  RoomCache& rooms_;
  std::vector<Subscriber> subscribers_;
};

}  // namespace myelin::homeserver
