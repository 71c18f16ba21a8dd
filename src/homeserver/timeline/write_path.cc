#include "homeserver/timeline/write_path.h"

#include <memory>
#include <stdexcept>

namespace myelin::homeserver {

void WritePath::announce(const Written& written) const {
  for (const auto& subscriber : subscribers_) subscriber(written);
}

storage::Persisted WritePath::write(RoomState& room, const BuiltEvent& event) {
  const storage::Persisted at = store_.persist_events({event.row}, std::nullopt).front();
  if (event.row.current_state) rooms_.reload(room);  // the state was replaced, not added to
  else room.apply(event.row, event.pdu, at);
  announce(Written{room, event, at});
  return at;
}

storage::Persisted WritePath::write_remote_join(const storage::RoomRecord& record, const BuiltEvent& join) {
  if (std::shared_ptr<RoomState> known = rooms_.room(record.room_id)) return write(*known, join);
  const storage::Persisted at = store_.persist_events({join.row}, record).front();
  const std::shared_ptr<RoomState> room = rooms_.room(record.room_id);
  if (!room) throw std::logic_error("remote join of a room of an unknown version");
  announce(Written{*room, join, at});
  return at;
}

void WritePath::write_new_room(const storage::RoomRecord& record, const rooms::RoomVersionRules& rules,
                               const std::vector<BuiltEvent>& events) {
  std::vector<storage::NewEvent> rows;
  rows.reserve(events.size());
  for (const auto& event : events) rows.push_back(event.row);
  const std::vector<storage::Persisted> persisted = store_.persist_events(rows, record);
  auto room = std::make_unique<RoomState>();
  room->room_id = record.room_id;
  room->rules = &rules;
  for (std::size_t i = 0; i < events.size(); ++i) room->apply(events[i].row, events[i].pdu, persisted[i]);
  const std::shared_ptr<const RoomState> cached = rooms_.add(std::move(room));
  for (std::size_t i = 0; i < events.size(); ++i) announce(Written{*cached, events[i], persisted[i], true});
}

}  // namespace myelin::homeserver
