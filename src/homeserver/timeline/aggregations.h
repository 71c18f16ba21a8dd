#pragma once
// Bundled aggregations (client-server-api "Aggregations of child events"): the
// unsigned.m.relations of events served to clients — m.replace (the most recent valid
// replacement, as a client event; none for a redacted event: the content itself is left as
// it is), m.thread (the latest reply as a client event with its own aggregations, the count of
// replies, whether the reader took part) and m.reference (the referring event IDs). State
// events get none. A chunk of events costs one indexed query when none of them has children
// (none at all when its room has no relation newer than the chunk), and one more per kind
// of aggregation found.
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "storage/event_store.h"
#include "storage/relation_store.h"

namespace myelin::homeserver {

class Aggregations {
 public:
  Aggregations(storage::EventStore& events, storage::RelationStore& relations)
      : events_(events), relations_(relations) {}

  // Adds unsigned.m.relations to each of `formatted` (events[i] in the client format, for
  // `device`), from the children at positions <= upto (the newest the reader may see).
  // `events` are of one room.
  void bundle(const std::string& user_id, std::string_view device, storage::StreamPos upto,
              const std::vector<storage::StoredEvent>& events, json::array& formatted);
  // The same for one event.
  void bundle(const std::string& user_id, std::string_view device, storage::StreamPos upto,
              const storage::StoredEvent& event, json::object& formatted);

  // At most this many m.reference children a parent.
  static constexpr std::size_t kMaxReferences = 100;

 private:
  void bundle_chunk(const std::string& user_id, std::string_view device, storage::StreamPos upto,
                    const std::vector<storage::StoredEvent>& events, json::array& formatted, bool with_threads);

  storage::EventStore& events_;
  storage::RelationStore& relations_;
};

}  // namespace myelin::homeserver
