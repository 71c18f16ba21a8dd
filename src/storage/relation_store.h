#pragma once
// Relations between events (storage/store.h has the contract; client-server-api "Forming
// relationships between events", "Threading"): one row per persisted event with a valid
// m.relates_to (NewEvent::relation), written in the event's persist transaction and deleted
// when the child is redacted, so a redacted relation drops out of every read here. Threads are
// kept beside: per room its thread roots by latest activity, and who took part in each.
// Every read is indexed: children by parent (and rel_type), threads by room and activity,
// participation by room and user.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/common.h"
#include "storage/event_store.h"

namespace myelin::storage {

// A recorded relation: the child event, its parent and how it relates.
struct RelationRecord {
  std::string room_id;
  std::string child_id;
  std::string parent_id;
  std::string rel_type;
  std::string child_type;
  std::string sender;
  StreamPos pos = 0;  // the child's position
  bool aggregated = false;
  std::string thread_id;  // "" = main timeline
  int thread_hops = 0;
};

// GET /relations: the children of `parent_id`, optionally of one rel_type and event type, with
// lower < pos <= upper, at most `limit`, nearest `dir`'s start first. With depth > 1 also the
// children of children, up to `depth` relations away, each one passing the filters.
struct ChildrenQuery {
  std::string parent_id;
  std::optional<std::string> rel_type;
  std::optional<std::string> child_type;
  StreamPos lower = 0;
  StreamPos upper = 0;
  std::size_t limit = 0;
  Direction dir = Direction::kBackward;
  int depth = 1;
};

// The aggregated children of one parent of one rel_type, among those with pos <= upto.
struct ChildCount {
  std::string parent_id;
  std::string rel_type;
  std::int64_t count = 0;
  StreamPos latest_pos = 0;
};

// A parent event as the aggregation reads ask for it: its ID and position.
struct ParentRef {
  std::string event_id;
  StreamPos pos = 0;
};

struct ThreadRecord {
  std::string root_id;
  StreamPos root_pos = 0;
  StreamPos latest_pos = 0;  // the newest reply's position
};

class RelationStore {
 public:
  virtual ~RelationStore() = default;

  // The relation of `child_id`, when it is the child of a recorded (valid, unredacted) one.
  virtual std::optional<RelationRecord> relation(const std::string& child_id) = 0;
  // The same for several children at once (those that have one), in no order.
  virtual std::vector<RelationRecord> relations(const std::vector<std::string>& child_ids) = 0;
  virtual std::vector<StoredEvent> children(const ChildrenQuery& query) = 0;
  // Whether `sender` has an annotation of type `child_type` with `key` on `parent_id`.
  virtual bool has_annotation(const std::string& parent_id, const std::string& child_type, const std::string& key,
                              const std::string& sender) = 0;

  // Aggregation reads, each one query for all the parents of a chunk of events of `room_id`.
  // The counts per (parent, rel_type) of the aggregated children of `rel_types` with
  // pos <= upto; none (and no query) when the room has no relation newer than the oldest parent.
  virtual std::vector<ChildCount> child_counts(const std::string& room_id, const std::vector<ParentRef>& parents,
                                               const std::vector<std::string>& rel_types, StreamPos upto) = 0;
  // Per parent, its aggregated m.replace child with pos <= upto that has the greatest
  // (origin_server_ts, event_id).
  virtual std::vector<std::pair<std::string, StoredEvent>> latest_replacements(
      const std::vector<std::string>& parent_ids, StreamPos upto) = 0;
  // (parent, child) of the aggregated m.reference children with pos <= upto, oldest first,
  // at most `per_parent` a parent.
  virtual std::vector<std::pair<std::string, std::string>> references(const std::vector<std::string>& parent_ids,
                                                                      StreamPos upto, std::size_t per_parent) = 0;
  virtual std::vector<StoredEvent> events_at(const std::vector<StreamPos>& positions) = 0;

  // The thread roots among `root_ids` that `user_id` took part in (sent the root or a reply).
  virtual std::vector<std::string> participated(const std::string& room_id, const std::string& user_id,
                                                const std::vector<std::string>& root_ids) = 0;
  // The room's threads with latest_pos <= upper, newest activity first, at most `limit`; only
  // those `participant` took part in when given.
  virtual std::vector<ThreadRecord> threads(const std::string& room_id, const std::optional<std::string>& participant,
                                            StreamPos upper, std::size_t limit) = 0;
};

}  // namespace myelin::storage
