#pragma once
// A new room's first events, as createRoom and an upgrade plan them: m.room.create (with the
// planned creation content), the creator's join, then the planned events in order. Internal to
// membership/ (room_creation.cc and room_upgrade.cc).
#include <string>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/timeline/event_builder.h"
#include "homeserver/timeline/write_path.h"
#include "rooms/room_version.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

struct RoomPlan {
  std::string creator;
  const rooms::RoomVersionRules* rules = nullptr;
  json::object creation_content;
  std::vector<EventDraft> after_create;  // events after the creator's join
  bool published = false;
  std::string room_id;  // versions whose room IDs are not the create event's: "" for a new random one

  // Plans a state event by the creator after the join.
  void add(std::string type, std::string state_key, json::object content) {
    after_create.push_back({creator, std::move(type), std::move(state_key), std::move(content), {}});
  }
};

// The planned events built one on top of the other (a v12 create event's timestamp moves on
// until its room ID is new), with the room's record; nothing is written. Fails when the auth
// rules refuse an event.
struct BuiltRoom {
  storage::RoomRecord record;
  std::vector<BuiltEvent> events;
};
core::Result<BuiltRoom> build_planned_room(const EventBuilder& builder, storage::EventStore& store,
                                           const std::string& server_name, RoomPlan plan, json::object creator_member);

// build_planned_room, then the events written with the room's record in one batch
// (WritePath::write_new_room). Returns the new room's ID; nothing is written on failure.
core::Result<std::string> create_planned_room(const EventBuilder& builder, storage::EventStore& store,
                                              WritePath& write_path, const std::string& server_name, RoomPlan plan,
                                              json::object creator_member);

}  // namespace myelin::homeserver
