#include "homeserver/timeline/relation_reader.h"

#include <algorithm>

#include "homeserver/timeline/client_format.h"
#include "homeserver/timeline/visibility.h"

namespace myelin::homeserver {

using core::Errc;
using storage::StreamPos;

core::Result<RelationsPage> RelationReader::relations(const Reader& reader, const core::RoomId& room_id,
                                                      const core::EventId& parent_id, const RelationsQuery& query) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  const auto visible = readable_events(store_, room.get(), reader.user_id);
  if (!visible) return std::unexpected(visible.error());
  auto parent = store_.event(parent_id);
  if (!parent || parent->room_id != room_id || !visible->contains(parent->pos))
    return core::fail(Errc::kNotFound, "Event not found");
  const StreamPos now = positions_.current_pos();
  const auto limit = static_cast<std::size_t>(std::clamp<std::int64_t>(query.limit, 1, 1000));
  storage::ChildrenQuery children{parent_id.str(),
                                  query.rel_type,
                                  query.event_type,
                                  0,
                                  now,
                                  0,
                                  query.backwards ? storage::Direction::kBackward : storage::Direction::kForward,
                                  query.recurse.value_or(false) ? kRecursionDepth : 1};
  if (query.backwards) {
    children.upper = std::min(now, query.from.value_or(now));
    children.lower = query.to.value_or(0);
  } else {
    children.lower = query.from.value_or(0);
    children.upper = std::min(now, query.to.value_or(now));
  }
  // Reads on past the children the reader may not see, one more than wanted to know whether
  // there are more.
  std::vector<storage::StoredEvent> page;
  bool more = false;
  while (!more && children.lower < children.upper) {
    children.limit = limit - page.size() + 1;
    std::vector<storage::StoredEvent> batch = relations_.children(children);
    for (auto& event : batch) {
      if (page.size() == limit) {
        more = true;
        break;
      }
      if (query.backwards) children.upper = event.pos - 1;
      else children.lower = event.pos;
      if (visible->contains(event.pos)) page.push_back(std::move(event));
    }
    if (batch.size() < children.limit) break;
  }
  RelationsPage out;
  for (const auto& event : page) out.chunk.push_back(client_event(store_, event, reader.device_id));
  aggregations_.bundle(reader.user_id, reader.device_id, visible->last(now), page, out.chunk);
  if (more) out.next_batch = query.backwards ? page.back().pos - 1 : page.back().pos;
  out.prev_batch = query.from;
  if (query.recurse) out.recursion_depth = *query.recurse ? kRecursionDepth : 1;
  return out;
}

core::Result<ThreadsPage> RelationReader::threads(const Reader& reader, const core::RoomId& room_id,
                                                  const ThreadsQuery& query) {
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  const auto visible = readable_events(store_, room.get(), reader.user_id);
  if (!visible) return std::unexpected(visible.error());
  const StreamPos now = positions_.current_pos();
  const auto limit = static_cast<std::size_t>(std::clamp<std::int64_t>(query.limit, 1, 100));
  const std::optional<std::string> participant =
      query.participated ? std::optional<std::string>(reader.user_id.str()) : std::nullopt;
  StreamPos upper = std::min(now, query.from.value_or(now));
  std::vector<storage::ThreadRecord> page;
  bool more = false;
  while (!more && upper > 0) {
    const std::size_t want = limit - page.size() + 1;
    std::vector<storage::ThreadRecord> batch = relations_.threads(room_id, participant, upper, want);
    for (auto& thread : batch) {
      if (page.size() == limit) {
        more = true;
        break;
      }
      upper = thread.latest_pos - 1;
      if (visible->contains(thread.root_pos)) page.push_back(std::move(thread));
    }
    if (batch.size() < want) break;
  }
  std::vector<StreamPos> positions;
  for (const auto& thread : page) positions.push_back(thread.root_pos);
  std::vector<storage::StoredEvent> roots = relations_.events_at(positions);  // by position
  // Newest activity first, as the threads came.
  std::vector<storage::StoredEvent> ordered;
  for (const auto& thread : page) {
    auto it = std::find_if(roots.begin(), roots.end(), [&](const auto& e) { return e.pos == thread.root_pos; });
    if (it != roots.end()) ordered.push_back(std::move(*it));
  }
  ThreadsPage out;
  for (const auto& event : ordered) out.chunk.push_back(client_event(store_, event, reader.device_id));
  aggregations_.bundle(reader.user_id, reader.device_id, visible->last(now), ordered, out.chunk);
  if (more) out.next_batch = page.back().latest_pos - 1;
  return out;
}

}  // namespace myelin::homeserver
