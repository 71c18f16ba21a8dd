#include "homeserver/timeline/timeline.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "core/clock.h"
#include "rooms/auth.h"
#include "rooms/event_format.h"

namespace myelin::homeserver {

Timeline::Timeline(const TimelineOptions& config, storage::EventStore& store, storage::AccountStore& account_store,
                   const core::SigningKey& key, Notifier& notifier)
    : config_(config), store_(store), account_store_(account_store), key_(key), notifier_(notifier) {}

namespace {

// The redacted text of `target` when `sender` may redact it; M_FORBIDDEN otherwise.
core::Result<std::optional<std::pair<std::string, std::string>>> redaction_of(
    storage::EventStore& store, const RoomState& room, const EventDraft& draft) {
  auto target = store.event(draft.redacts);
  if (!target) return std::nullopt;  // unknown here: nothing to erase
  if (target->room_id != room.room_id)
    return core::fail(core::Errc::kInvalidParam, "That event is in another room");
  const json::object* create = room.pdu("m.room.create", "");
  rooms::PowerLevels levels(room.content("m.room.power_levels", ""), *create, *room.rules);
  if (!rooms::may_redact(levels, draft.sender, target->sender))
    return core::fail(core::Errc::kForbidden, "You may not redact other users' events");
  auto parsed = core::parse_json_object(target->json);
  if (!parsed) return core::fail(core::Errc::kInternal, "Stored event is not JSON");
  std::string redacted = core::canonical_json(rooms::redact(*parsed, *room.rules));
  return std::make_pair(target->event_id, std::move(redacted));
}

}  // namespace

core::Result<BuiltEvent> Timeline::build(const RoomState& room, const EventDraft& draft) const {
  const rooms::RoomVersionRules& rules = *room.rules;
  BuiltEvent built;
  json::object& pdu = built.pdu;
  const bool is_create = draft.type == "m.room.create" && draft.state_key == "";
  if (!(is_create && rules.room_id_from_create_event)) pdu["room_id"] = room.room_id;
  pdu["sender"] = draft.sender;
  pdu["type"] = draft.type;
  if (draft.state_key) pdu["state_key"] = *draft.state_key;
  pdu["content"] = draft.content;
  if (draft.type == "m.room.redaction") {
    if (rules.updated_redaction_rules)
      pdu["content"].as_object()["redacts"] = draft.redacts;
    else
      pdu["redacts"] = draft.redacts;
  }
  pdu["origin_server_ts"] = draft.origin_server_ts ? draft.origin_server_ts : core::now_ms();
  std::int64_t depth = 0;
  json::array prev_events;
  for (const auto& extremity : room.extremities) {
    prev_events.emplace_back(extremity.event_id);
    depth = std::max(depth, extremity.depth);
  }
  pdu["depth"] = depth + 1;
  pdu["prev_events"] = std::move(prev_events);
  json::array auth_events;
  for (const auto& [type, state_key] : rooms::auth_types_for_event(pdu, rules)) {
    if (const StateEntry* entry = room.find(type, state_key)) auth_events.emplace_back(entry->event_id);
  }
  pdu["auth_events"] = std::move(auth_events);

  if (auto numbers = core::check_event_numbers(pdu); !numbers) return std::unexpected(numbers.error());
  auto lookup = [&room](std::string_view type, std::string_view state_key) {
    return room.pdu(type, state_key);
  };
  if (auto allowed = rooms::authorize_event(pdu, lookup, rules); !allowed)
    return std::unexpected(allowed.error());

  if (draft.type == "m.room.redaction") {
    auto redaction = redaction_of(store_, room, draft);
    if (!redaction) return std::unexpected(redaction.error());
    built.row.redaction = std::move(*redaction);
  }

  std::string event_id = rooms::finalize_local_event(pdu, rules, config_.server_name, key_);
  std::string text = core::canonical_json(pdu);
  if (text.size() > kMaxPduBytes)
    return core::fail(core::Errc::kTooLarge, "Event is larger than 65536 bytes");

  storage::NewEvent& row = built.row;
  row.event_id = std::move(event_id);
  row.room_id = is_create && rules.room_id_from_create_event
                    ? rooms::room_id_from_create_event(pdu, rules)
                    : room.room_id;
  row.type = draft.type;
  row.state_key = draft.state_key;
  row.sender = draft.sender;
  row.depth = depth + 1;
  row.origin_server_ts = pdu["origin_server_ts"].as_int64();
  row.json = std::move(text);
  for (const auto& extremity : room.extremities) row.prev_events.push_back(extremity.event_id);
  row.state_group_before = room.state_group;
  return built;
}

void Timeline::apply(RoomState& room, const BuiltEvent& event, const storage::Persisted& at) const {
  const storage::NewEvent& row = event.row;
  if (row.state_key) {
    room.state[{row.type, *row.state_key}] =
        StateEntry{row.event_id, at.pos, std::make_shared<const json::object>(event.pdu)};
    if (row.type == "m.room.member") {
      const std::string membership = room.membership(*row.state_key);
      room.joined.erase(*row.state_key);
      room.invited.erase(*row.state_key);
      if (membership == "join") room.joined.insert(*row.state_key);
      if (membership == "invite") room.invited.insert(*row.state_key);
      room.log_member_change(at.pos, *row.state_key);
    }
  }
  if (row.redaction) {   // a redacted current state event counts with its content stripped
    auto redacted = core::parse_json_object(row.redaction->second);
    if (redacted && redacted->contains("state_key")) {
      auto it = room.state.find(
          {std::string(string_field(*redacted, "type")), std::string(string_field(*redacted, "state_key"))});
      if (it != room.state.end() && it->second.event_id == row.redaction->first)
        it->second.pdu = std::make_shared<const json::object>(std::move(*redacted));
    }
  }
  room.extremities = {storage::Extremity{row.event_id, row.depth}};
  room.state_group = at.state_group;
  room.last_pos = at.pos;
}

bool Timeline::changes_guest_access(const RoomState& room, const storage::NewEvent& row) {
  if (row.type == "m.room.guest_access" && row.state_key == "") return true;
  const StateEntry* current = room.find("m.room.guest_access", "");
  return row.redaction && current && current->event_id == row.redaction->first;
}

void Timeline::remove_guests_unless_allowed(RoomState& room) {
  const json::object* access = room.content("m.room.guest_access", "");
  if (access && string_field(*access, "guest_access") == "can_join") return;
  std::vector<std::string> guests;
  for (const auto* members : {&room.joined, &room.invited})
    for (const std::string& member : *members)
      if (auto user = account_store_.user(member); user && user->guest) guests.push_back(member);
  for (const std::string& guest : guests)
    (void)send(room.room_id, {guest, "m.room.member", guest,
                              json::object{{"membership", "leave"}, {"reason", "Guests may no longer be in this room"}},
                              {}});
}

void Timeline::announce(const RoomState& room, const BuiltEvent& event) {
  for (const auto& user : room.joined) notifier_.notify_user(user);
  notifier_.notify_room(room.room_id);
  if (event.row.type == "m.room.member" && event.row.state_key &&
      !room.joined.contains(*event.row.state_key))
    notifier_.notify_user(*event.row.state_key);
}

core::Result<Sent> Timeline::send(const std::string& room_id, EventDraft draft,
                                  const std::optional<storage::Transaction>& txn) {
  if (txn) {
    if (auto earlier = store_.txn_event(*txn)) {
      auto stored = store_.event(*earlier);
      return Sent{*earlier, stored ? stored->pos : 0};
    }
  }
  RoomState* state = room(room_id);
  if (!state) return core::fail(core::Errc::kForbidden, "Unknown room or not a member");
  // Re-sending the current state unchanged (same sender, same content) sends nothing.
  if (draft.state_key) {
    const StateEntry* current = state->find(draft.type, *draft.state_key);
    if (current && string_field(*current->pdu, "sender") == draft.sender &&
        current->pdu->at("content") == json::value(draft.content))
      return Sent{current->event_id, current->pos};
  }
  auto built = build(*state, draft);
  if (!built) return std::unexpected(built.error());
  built->row.txn = txn;
  auto persisted = store_.persist_events({built->row}, std::nullopt);
  apply(*state, *built, persisted.front());
  announce(*state, *built);
  if (changes_guest_access(*state, built->row)) remove_guests_unless_allowed(*state);
  return Sent{built->row.event_id, persisted.front().pos};
}

core::Status Timeline::persist_new_room(std::unique_ptr<RoomState> room,
                                        std::vector<BuiltEvent> events,
                                        const storage::RoomRecord& record) {
  std::vector<storage::NewEvent> rows;
  rows.reserve(events.size());
  for (const auto& event : events) rows.push_back(event.row);
  auto persisted = store_.persist_events(rows, record);
  // `room` already reflects the events (they were applied while building); fix positions.
  room->member_log.clear();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& row = events[i].row;
    if (row.state_key) {
      auto it = room->state.find({row.type, *row.state_key});
      if (it != room->state.end() && it->second.event_id == row.event_id) it->second.pos = persisted[i].pos;
      if (row.type == "m.room.member") room->log_member_change(persisted[i].pos, *row.state_key);
    }
  }
  room->state_group = persisted.back().state_group;
  room->last_pos = persisted.back().pos;
  RoomState& cached = *room;
  rooms_[record.room_id] = std::move(room);
  for (const auto& event : events) announce(cached, event);
  return {};
}

RoomState* Timeline::room(const std::string& room_id) {
  if (auto it = rooms_.find(room_id); it != rooms_.end()) return it->second.get();
  auto record = store_.room(room_id);
  if (!record) return nullptr;
  auto state = std::make_unique<RoomState>();
  state->room_id = room_id;
  state->rules = rooms::find_room_version(record->version);
  if (!state->rules) return nullptr;
  storage::StateMap current = store_.current_state(room_id);
  std::vector<std::string> ids;
  ids.reserve(current.size());
  for (const auto& [key, event_id] : current) ids.push_back(event_id);
  for (auto& event : store_.events(ids)) {
    auto pdu = core::parse_json_object(event.json);
    if (!pdu || !event.state_key) continue;
    state->state[{event.type, *event.state_key}] =
        StateEntry{event.event_id, event.pos, std::make_shared<const json::object>(std::move(*pdu))};
  }
  for (const auto& [key, entry] : state->state) {
    if (key.first != "m.room.member") continue;
    const std::string membership = state->membership(key.second);
    if (membership == "join") state->joined.insert(key.second);
    if (membership == "invite") state->invited.insert(key.second);
  }
  state->extremities = store_.forward_extremities(room_id);
  for (const auto& extremity : state->extremities) {
    if (auto latest = store_.event(extremity.event_id); latest && latest->pos > state->last_pos) {
      state->last_pos = latest->pos;
      state->state_group = latest->state_group;
    }
  }
  state->member_log_from = state->last_pos;   // later membership changes are all logged
  RoomState* raw = state.get();
  rooms_[room_id] = std::move(state);
  return raw;
}

std::set<std::string> Timeline::peers(const std::string& user_id) {
  std::set<std::string> peers{user_id};
  for (const auto& membership : store_.user_memberships(user_id)) {
    if (membership.membership != "join") continue;
    if (RoomState* joined = room(membership.room_id)) peers.insert(joined->joined.begin(), joined->joined.end());
  }
  return peers;
}

}  // namespace myelin::homeserver
