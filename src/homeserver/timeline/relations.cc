#include "homeserver/timeline/relations.h"

#include "core/ids.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

const json::object* relates_to_object(const json::object& content) {
  const json::value* value = content.if_contains("m.relates_to");
  return value && value->is_object() ? &value->get_object() : nullptr;
}

const json::string* string_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value && value->is_string() ? &value->get_string() : nullptr;
}

// The rel_type in an event's content, "" when it has none.
std::string rel_type_of(const json::object& content) {
  const json::object* relates = relates_to_object(content);
  const json::string* rel_type = relates ? string_at(*relates, "rel_type") : nullptr;
  return rel_type ? std::string(*rel_type) : std::string();
}

json::object content_of(const storage::StoredEvent& event) {
  auto pdu = core::parse_json_object(event.json);
  if (!pdu) return {};
  const json::value* content = pdu->if_contains("content");
  return content && content->is_object() ? content->get_object() : json::object{};
}

}  // namespace

std::optional<RelatesTo> relates_to(const json::object& content) {
  const json::object* relates = relates_to_object(content);
  if (!relates) return std::nullopt;
  const json::string* rel_type = string_at(*relates, "rel_type");
  const json::string* event_id = string_at(*relates, "event_id");
  if (!rel_type || rel_type->empty() || !event_id || !core::is_valid_event_id(*event_id)) return std::nullopt;
  RelatesTo out{std::string(*rel_type), std::string(*event_id), {}};
  if (out.rel_type == "m.annotation") {
    const json::string* key = string_at(*relates, "key");
    if (!key) return std::nullopt;
    out.key = std::string(*key);
  }
  return out;
}

storage::NewRelation describe_relation(const RelatesTo& relation, const ChildEvent& child,
                                       const storage::StoredEvent& parent,
                                       const std::optional<storage::RelationRecord>& parent_relation) {
  storage::NewRelation out;
  out.parent_id = parent.event_id;
  out.rel_type = relation.rel_type;
  out.key = relation.key;
  const std::string parent_rel_type = rel_type_of(content_of(parent));
  if (relation.rel_type == "m.replace") {
    const json::value* new_content = child.content.if_contains("m.new_content");
    out.aggregated = child.sender == parent.sender && child.type == parent.type && !child.state_key &&
                     !parent.state_key && parent_rel_type != "m.replace" &&
                     (child.type == "m.room.encrypted" || (new_content && new_content->is_object()));
  } else if (relation.rel_type == "m.thread") {
    out.aggregated = parent_rel_type.empty();
    out.root_sender = parent.sender;
  } else if (relation.rel_type == "m.annotation") {
    out.aggregated = parent_rel_type != "m.annotation" && parent_rel_type != "m.replace";
  } else {
    out.aggregated = true;
  }
  if (relation.rel_type == "m.thread") {
    out.thread_id = parent.event_id;
    out.thread_hops = 1;
  } else if (parent_relation && !parent_relation->thread_id.empty() && parent_relation->thread_hops < kMaxThreadHops) {
    out.thread_id = parent_relation->thread_id;
    out.thread_hops = parent_relation->thread_hops + 1;
  }
  return out;
}

core::Result<std::optional<storage::NewRelation>> relation_of_local_event(storage::EventStore& events,
                                                                          storage::RelationStore& relations,
                                                                          const std::string& room_id,
                                                                          const ChildEvent& child) {
  auto relation = relates_to(child.content);
  if (!relation) return std::nullopt;
  auto parent = events.event(relation->event_id);
  if (!parent || parent->room_id != room_id) return std::nullopt;
  storage::NewRelation out = describe_relation(*relation, child, *parent, relations.relation(parent->event_id));
  if (relation->rel_type == "m.thread" && !out.aggregated)
    return core::fail(Errc::kUnknown, "Cannot start a thread from an event with a relation");
  if (relation->rel_type == "m.annotation" &&
      relations.has_annotation(parent->event_id, child.type, relation->key, child.sender))
    return core::fail(Errc::kDuplicateAnnotation, "You already sent this annotation");
  return out;
}

}  // namespace myelin::homeserver
