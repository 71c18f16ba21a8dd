#include "homeserver/timeline/event_builder.h"

#include <algorithm>

#include "core/clock.h"
#include "homeserver/timeline/relations.h"
#include "homeserver/timeline/search_text.h"
#include "rooms/auth.h"
#include "rooms/event_format.h"
#include "rooms/pdu_format.h"

namespace myelin::homeserver {
namespace {

// The PDU's fields that come from the draft alone (no state yet).
json::object draft_pdu(const RoomState& room, const EventDraft& draft, bool room_id_from_create,
                       std::string_view server_name) {
  const rooms::RoomVersionRules& rules = *room.rules;
  json::object pdu;
  // v1/v2 events carry their ID, which the auth rules read (v1 rule 11).
  if (rules.event_id_format == rooms::EventIdFormat::kServerScoped) {
    pdu["event_id"] = rooms::new_server_scoped_event_id(server_name);
  }
  if (!room_id_from_create) pdu["room_id"] = room.room_id;
  pdu["sender"] = draft.sender;
  pdu["type"] = draft.type;
  if (draft.state_key) pdu["state_key"] = *draft.state_key;
  pdu["content"] = draft.content;
  if (draft.type == "m.room.redaction") {
    if (rules.updated_redaction_rules) pdu["content"].as_object()["redacts"] = draft.redacts;
    else pdu["redacts"] = draft.redacts;
  }
  pdu["origin_server_ts"] = draft.origin_server_ts ? draft.origin_server_ts : core::now_ms();
  // No longer in the spec's PDU format, but servers of its time (Synapse 1.67, sytest) expect it.
  pdu["origin"] = server_name;
  return pdu;
}

}  // namespace

core::Result<json::value> EventBuilder::reference_to(const RoomState& room, const std::string& event_id) const {
  const rooms::RoomVersionRules& rules = *room.rules;
  if (rules.event_id_format != rooms::EventIdFormat::kServerScoped) return rooms::event_reference(event_id, {}, rules);
  if (auto stored = store_.event(event_id)) {
    auto parsed = core::parse_json_object(stored->json);
    if (!parsed) return core::fail(core::Errc::kInternal, "Stored event is not JSON");
    return rooms::event_reference(event_id, *parsed, rules);
  }
  // Not persisted yet: an event of a room being created, all of which are state events.
  for (const auto& [key, entry] : room.state) {
    if (entry.event_id == event_id) return rooms::event_reference(event_id, *entry.pdu, rules);
  }
  return core::fail(core::Errc::kInternal, "Unknown prev event " + event_id);
}

core::Result<std::int64_t> EventBuilder::add_graph_fields(json::object& pdu, const RoomState& room) const {
  std::int64_t depth = 0;
  json::array prev_events;
  for (const auto& extremity : room.extremities) {
    auto reference = reference_to(room, extremity.event_id);
    if (!reference) return std::unexpected(reference.error());
    prev_events.push_back(std::move(*reference));
    depth = std::max(depth, extremity.depth);
  }
  pdu["depth"] = depth + 1;
  pdu["prev_events"] = std::move(prev_events);
  json::array auth_events;
  for (const auto& [type, state_key] : rooms::auth_types_for_event(pdu, *room.rules)) {
    if (const StateEntry* entry = room.find(type, state_key)) {
      auth_events.push_back(rooms::event_reference(entry->event_id, *entry->pdu, *room.rules));
    }
  }
  pdu["auth_events"] = std::move(auth_events);
  return depth + 1;
}

core::Result<std::optional<std::pair<std::string, std::string>>> EventBuilder::redaction_of(
    const RoomState& room, const EventDraft& draft) const {
  auto target = store_.event(draft.redacts);
  if (!target) return std::nullopt;  // unknown here: nothing to erase
  if (target->room_id != room.room_id) return core::fail(core::Errc::kInvalidParam, "That event is in another room");
  const json::object* create = room.pdu("m.room.create", "");
  rooms::PowerLevels levels(room.content("m.room.power_levels", ""), *create, *room.rules);
  if (!rooms::may_redact(levels, draft.sender, target->sender))
    return core::fail(core::Errc::kForbidden, "You may not redact other users' events");
  auto parsed = core::parse_json_object(target->json);
  if (!parsed) return core::fail(core::Errc::kInternal, "Stored event is not JSON");
  std::string redacted = core::canonical_json(rooms::redact(*parsed, *room.rules));
  return std::make_pair(target->event_id, std::move(redacted));
}

core::Result<BuiltEvent> EventBuilder::build(const RoomState& room, const EventDraft& draft) const {
  const rooms::RoomVersionRules& rules = *room.rules;
  const bool is_create = draft.type == "m.room.create" && draft.state_key == "";
  const bool room_id_from_create = is_create && rules.room_id_from_create_event;
  BuiltEvent built;
  json::object& pdu = built.pdu;
  pdu = draft_pdu(room, draft, room_id_from_create, config_.server_name);
  const auto depth = add_graph_fields(pdu, room);
  if (!depth) return std::unexpected(depth.error());

  // Every version is held to canonical JSON numbers here: before v6 servers must accept
  // others' floats, but need not let their users send them (v1-deprecated-formatting).
  if (auto numbers = core::check_event_numbers(pdu); !numbers) return std::unexpected(numbers.error());
  auto lookup = [&room](std::string_view type, std::string_view state_key) { return room.pdu(type, state_key); };
  const StateEntry* create = room.find("m.room.create", "");
  if (auto allowed = rooms::authorize_event(pdu, lookup, rules, create ? create->event_id : std::string_view{});
      !allowed)
    return std::unexpected(allowed.error());

  if (draft.type == "m.room.redaction") {
    auto redaction = redaction_of(room, draft);
    if (!redaction) return std::unexpected(redaction.error());
    built.row.redaction = std::move(*redaction);
  }
  auto relation = relation_of_local_event(store_, relations_, room.room_id,
                                          {draft.type, draft.state_key, draft.sender, draft.content});
  if (!relation) return std::unexpected(relation.error());
  built.row.relation = std::move(*relation);
  if (!room.pdu("m.room.encryption", ""))
    built.row.search_text = search_text_of(draft.type, draft.state_key, draft.content);

  std::string event_id = rooms::finalize_local_event(pdu, rules, config_.server_name);
  std::string text = core::canonical_json(pdu);
  if (text.size() + signature_bytes_ > rooms::kMaxPduBytes)
    return core::fail(core::Errc::kTooLarge, "Event is larger than 65536 bytes");

  storage::NewEvent& row = built.row;
  row.event_id = std::move(event_id);
  row.room_id = room_id_from_create ? rooms::room_id_from_create_event(pdu, rules) : room.room_id;
  row.type = draft.type;
  row.state_key = draft.state_key;
  row.sender = draft.sender;
  row.depth = *depth;
  row.origin_server_ts = pdu["origin_server_ts"].as_int64();
  row.json = std::move(text);
  for (const auto& extremity : room.extremities) row.prev_events.push_back(extremity.event_id);
  row.state_group_before = room.state_group;
  return built;
}

}  // namespace myelin::homeserver
