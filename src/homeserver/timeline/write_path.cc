#include "homeserver/timeline/write_path.h"

#include <memory>

namespace myelin::homeserver {

void WritePath::announce(const Written& written) const {
  for (const auto& subscriber : subscribers_) subscriber(written);
}

storage::Persisted WritePath::write(RoomState& room, const BuiltEvent& event) {
  const storage::Persisted at = store_.persist_events({event.row}, std::nullopt).front();
  room.apply(event.row, event.pdu, at);
  announce(Written{room, event, at});
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
