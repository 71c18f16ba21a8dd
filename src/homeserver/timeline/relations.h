#pragma once
// The rules of relations between events (client-server-api "Forming relationships between
// events", "Event replacements", "Event annotations and reactions", "Threading", "Reference
// relations", and "Threaded read receipts" for which thread an event is in): what a valid
// m.relates_to is, and, for a new event relating to an earlier one of its room, the relation the
// store records — whether it counts in the parent's bundled aggregation and which thread the
// event is in. Pure, except relation_of_local_event, which reads the parent.
#include <optional>
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "storage/event_store.h"
#include "storage/relation_store.h"

namespace myelin::homeserver {

// content.m.relates_to with a string rel_type and an event ID (an m.annotation's string key
// too). Replies (m.in_reply_to without rel_type) are not relations of this kind.
struct RelatesTo {
  std::string rel_type;
  std::string event_id;
  std::string key;
};
std::optional<RelatesTo> relates_to(const json::object& content);

// Events are "in a thread" up to this many relations from the root (the spec's recommendation).
inline constexpr int kMaxThreadHops = 3;

// The child as the rules need it.
struct ChildEvent {
  std::string type;
  std::optional<std::string> state_key;
  std::string sender;
  const json::object& content;
};

// The relation recorded for `child`, which relates to `parent` (an earlier event of its room)
// as `relation` says; `parent_relation` is the parent's own recorded relation, if any. An
// m.replace counts when it is a valid replacement (same sender and type, neither a state event,
// the parent not a replacement itself, m.new_content unless encrypted), an m.thread when the
// root has no rel_type of its own, an m.annotation unless it annotates an annotation or a
// replacement, any other always. The thread: the parent for m.thread, else the parent's thread
// while within kMaxThreadHops.
storage::NewRelation describe_relation(const RelatesTo& relation, const ChildEvent& child,
                                       const storage::StoredEvent& parent,
                                       const std::optional<storage::RelationRecord>& parent_relation);

// A local event's relation: nullopt when it has none or names no event of its room (ignored, as
// the spec says of invalid relations). Refuses, as the spec has servers refuse client requests,
// a thread started from an event that has a rel_type itself (400 M_UNKNOWN) and a second
// identical annotation by the same sender (400 M_DUPLICATE_ANNOTATION).
core::Result<std::optional<storage::NewRelation>> relation_of_local_event(storage::EventStore& events,
                                                                          storage::RelationStore& relations,
                                                                          const std::string& room_id,
                                                                          const ChildEvent& child);

}  // namespace myelin::homeserver
