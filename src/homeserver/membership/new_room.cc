#include "homeserver/membership/new_room.h"

#include "core/clock.h"
#include "core/ids.h"

namespace myelin::homeserver {
namespace {

// Whether a room with this (just built) ID is stored already.
bool room_exists(storage::EventStore& store, const std::string& room_id) {
  auto parsed = core::RoomId::parse(room_id);
  return parsed && store.room(*parsed);
}

}  // namespace

core::Result<BuiltRoom> build_planned_room(const EventBuilder& builder, storage::EventStore& store,
                                           const std::string& server_name, RoomPlan plan, json::object creator_member) {
  RoomState room;  // the state each next event is built on
  room.rules = plan.rules;
  if (!plan.rules->room_id_from_create_event)
    room.room_id = plan.room_id.empty() ? "!" + core::random_string(18) + ":" + server_name : plan.room_id;

  json::object create_content = std::move(plan.creation_content);
  create_content["room_version"] = std::string(plan.rules->id);
  if (!plan.rules->use_room_create_sender) create_content["creator"] = plan.creator;  // v1-v10

  std::vector<EventDraft> drafts;
  drafts.push_back({plan.creator, "m.room.create", "", std::move(create_content), {}});
  drafts.push_back({plan.creator, "m.room.member", plan.creator, std::move(creator_member), {}});
  for (auto& draft : plan.after_create) drafts.push_back(std::move(draft));

  // v12 room IDs are the create event's hash: two identical creations in the same millisecond
  // would collide, so the create event's timestamp moves on until its room ID is new.
  drafts.front().origin_server_ts = core::now_ms();
  std::vector<BuiltEvent> built;
  for (const auto& draft : drafts) {
    auto event = builder.build(room, draft);
    if (!event) return std::unexpected(event.error());
    while (built.empty() && room_exists(store, event->row.room_id)) {
      ++drafts.front().origin_server_ts;
      event = builder.build(room, drafts.front());
      if (!event) return std::unexpected(event.error());
    }
    if (built.empty()) room.room_id = event->row.room_id;
    event->row.room_id = room.room_id;
    event->row.state_group_before = built.empty() ? 0 : storage::kStateGroupOfPrevious;
    room.apply(event->row, event->pdu, storage::Persisted{0, 0});
    built.push_back(std::move(*event));
  }
  return BuiltRoom{{room.room_id, std::string(plan.rules->id), plan.creator, plan.published}, std::move(built)};
}

core::Result<std::string> create_planned_room(const EventBuilder& builder, storage::EventStore& store,
                                              WritePath& write_path, const std::string& server_name, RoomPlan plan,
                                              json::object creator_member) {
  const rooms::RoomVersionRules& rules = *plan.rules;
  auto room = build_planned_room(builder, store, server_name, std::move(plan), std::move(creator_member));
  if (!room) return std::unexpected(room.error());
  write_path.write_new_room(room->record, rules, room->events);
  return room->record.room_id;
}

}  // namespace myelin::homeserver
