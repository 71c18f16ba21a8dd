// PduIntake: a received event against the state before it and the current state (receipt
// steps 5 and 6), and its write.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "homeserver/federation/pdu_fields.h"
#include "homeserver/federation/pdu_intake.h"
#include "homeserver/federation/pdu_intake_pending.h"
#include "homeserver/federation/resolution.h"
#include "homeserver/timeline/relations.h"
#include "homeserver/timeline/search_text.h"
#include "rooms/auth.h"
#include "rooms/event_format.h"

namespace myelin::homeserver {
namespace {

// A state the auth rules read: the room's cached current state, or a state map whose events
// are read from the store when the rules ask for them.
class StateView {
 public:
  explicit StateView(const RoomState& room) : room_(&room) {}
  StateView(storage::EventStore& store, storage::StateMap map) : store_(&store), map_(std::move(map)) {}

  rooms::StateLookup lookup() {
    return [this](std::string_view type, std::string_view state_key) { return find(type, state_key); };
  }

 private:
  const json::object* find(std::string_view type, std::string_view state_key) {
    if (room_) return room_->pdu(type, state_key);
    const auto it = map_.find(storage::StateKey(type, state_key));
    if (it == map_.end()) return nullptr;
    if (auto loaded = loaded_.find(it->second); loaded != loaded_.end()) return &loaded->second;
    auto stored = store_->event(it->second);
    if (!stored) return nullptr;
    auto pdu = core::parse_json_object(stored->json);
    return pdu ? &loaded_.emplace(it->second, std::move(*pdu)).first->second : nullptr;
  }

  const RoomState* room_ = nullptr;
  storage::EventStore* store_ = nullptr;
  storage::StateMap map_;
  std::map<std::string, json::object> loaded_;
};

storage::StateMap state_map_of(const RoomState& room) {
  storage::StateMap state;
  for (const auto& [key, entry] : room.state) state.emplace(key, entry.event_id);
  return state;
}

}  // namespace

core::Result<storage::StateMap> PduIntake::resolve(std::vector<storage::StateMap> states, const RoomState& room,
                                                   const Pending& pending) {
  StoredEvents source(store_, [this](std::string_view id) { return rejected(std::string(id)); });
  source.add(pending.event_id, pending.pdu);  // not stored yet
  return resolve_stored(std::move(states), source, *room.rules);
}

void PduIntake::state_checks(const std::shared_ptr<Pending>& pending, const std::vector<storage::StoredEvent>& prevs,
                             std::vector<storage::StateMap> fetched_states) {
  RoomState& room = *pending->room;
  const rooms::RoomVersionRules& rules = *room.rules;
  // The state before the event: the state after its prev events, resolved when they differ.
  const std::int64_t group = prevs.empty() ? 0 : prevs.front().state_group;
  const bool one_state = fetched_states.empty() &&
                         std::ranges::all_of(prevs, [group](const auto& prev) { return prev.state_group == group; });
  const bool before_is_current = one_state && group == room.state_group;
  std::optional<storage::StateMap> before;  // when not the current state
  if (!one_state) {
    std::vector<storage::StateMap> states = std::move(fetched_states);
    for (const auto& prev : prevs) states.push_back(store_.state_group(prev.state_group));
    if (states.size() == 1) {
      before = std::move(states.front());
    } else {
      auto resolved = resolve(std::move(states), room, *pending);
      if (!resolved) return pending->finish("The state before it could not be resolved: " + resolved.error().message);
      before = std::move(*resolved);
    }
  } else if (!before_is_current) {
    before = store_.state_group(group);
  }
  StateView before_view = before ? StateView(store_, *before) : StateView(room);
  if (auto allowed = rooms::authorize_event(pending->pdu, before_view.lookup(), rules); !allowed)  // step 5
    return reject(pending, "Not allowed by the state before it: " + allowed.error().message);
  if (!before_is_current) {  // step 6
    StateView current(room);
    if (auto allowed = rooms::authorize_event(pending->pdu, current.lookup(), rules); !allowed) {
      soft_fail(*pending, allowed.error().message);
      return pending->finish("");
    }
  }

  BuiltEvent built{pending->pdu, row_of(*pending)};
  storage::NewEvent& row = built.row;
  row.state_group_before = group;
  if (!one_state) row.state_before = *before;
  // The room's current state after it: the state after it, resolved with the current state
  // when other forward extremities stay (the store's default, the current state with the event
  // applied, is right only when the event was checked against the current state).
  const bool leaves_others = std::ranges::any_of(room.extremities, [&row](const storage::Extremity& extremity) {
    return std::ranges::find(row.prev_events, extremity.event_id) == row.prev_events.end();
  });
  if (!before_is_current || (leaves_others && row.state_key)) {
    storage::StateMap after = before ? *before : state_map_of(room);
    if (row.state_key) after[{row.type, *row.state_key}] = row.event_id;
    if (!leaves_others) {
      row.current_state = std::move(after);
    } else if (auto current = resolve({std::move(after), state_map_of(room)}, room, *pending)) {
      row.current_state = std::move(*current);
    } else {
      spdlog::warn("federation: the current state after {} could not be resolved ({}); it is applied",
                   pending->event_id, current.error().message);
    }
  }
  write_path_.write(room, built);
  pending->finish("");
}

void PduIntake::soft_fail(const Pending& pending, const std::string& why) {
  spdlog::info("federation: soft-failed {} from {}: {}", pending.event_id, pending.origin, why);
  store_.persist_outliers({outlier_of(pending.event_id, pending.room->room_id, pending.pdu)});
}

storage::NewEvent PduIntake::row_of(const Pending& pending) const {
  const RoomState& room = *pending.room;
  const rooms::RoomVersionRules& rules = *room.rules;
  const json::object& pdu = pending.pdu;
  storage::NewOutlier fields = outlier_of(pending.event_id, room.room_id, pdu);
  storage::NewEvent row;
  row.event_id = std::move(fields.event_id);
  row.room_id = std::move(fields.room_id);
  row.type = std::move(fields.type);
  row.state_key = std::move(fields.state_key);
  row.sender = std::move(fields.sender);
  row.depth = fields.depth;
  row.origin_server_ts = fields.origin_server_ts;
  row.json = std::move(fields.json);
  row.prev_events = ids_in(pdu, "prev_events", rules);
  static const json::object kNoContent;
  const json::value* content_value = pdu.if_contains("content");
  const json::object& content = content_value && content_value->is_object() ? content_value->get_object() : kNoContent;
  const json::object* create = room.pdu("m.room.create", "");
  if (row.type == "m.room.redaction" && create) {  // applied when the power levels allow it (v3+ redaction rules)
    const auto target_id = rooms::redacts_of(pdu, rules);
    auto target = target_id ? store_.event(*target_id) : std::nullopt;
    auto target_pdu = target ? core::parse_json_object(target->json) : core::Result<json::object>();
    const rooms::PowerLevels levels(room.content("m.room.power_levels", ""), *create, rules);
    if (target && target_pdu && target->room_id == room.room_id &&
        rooms::redaction_applies(levels, row.sender, target->sender))
      row.redaction.emplace(target->event_id, core::canonical_json(rooms::redact(*target_pdu, rules)));
  }
  // An invalid relation is ignored, as the spec says; a refused local one is no reason here.
  auto relation =
      relation_of_local_event(store_, relations_, room.room_id, {row.type, row.state_key, row.sender, content});
  if (relation) row.relation = std::move(*relation);
  if (!room.pdu("m.room.encryption", "")) row.search_text = search_text_of(row.type, row.state_key, content);
  return row;
}

}  // namespace myelin::homeserver
