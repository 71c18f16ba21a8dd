#include "homeserver/federation/pdu_intake.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "homeserver/timeline/relations.h"
#include "homeserver/timeline/search_text.h"
#include "http/http.h"
#include "rooms/auth.h"
#include "rooms/event_format.h"
#include "rooms/pdu_format.h"

namespace myelin::homeserver {

struct PduIntake::Pending {
  std::string origin;
  json::object pdu;
  std::shared_ptr<RoomState> room;  // held until done, so the cache keeps this one
  std::string event_id;
  bool may_fetch = true;  // may ask the origin for missing prev events
  Done done;
  void finish(std::string error) const { done({event_id, std::move(error)}); }
};

namespace {

// A state the auth rules read: the room's cached current state when it is that group, else
// the group read from the store, each event loaded when the rules ask for it.
class StateView {
 public:
  StateView(const RoomState& room, storage::EventStore& store, std::int64_t group)
      : room_(room), store_(store), current_(group == room.state_group) {
    if (!current_) map_ = store_.state_group(group);
  }
  const json::object* find(std::string_view type, std::string_view state_key) {
    if (current_) return room_.pdu(type, state_key);
    const auto it = map_.find(storage::StateKey(type, state_key));
    if (it == map_.end()) return nullptr;
    if (auto loaded = loaded_.find(it->second); loaded != loaded_.end()) return &loaded->second;
    auto stored = store_.event(it->second);
    auto pdu = stored ? core::parse_json_object(stored->json) : core::Result<json::object>(json::object());
    if (!stored || !pdu) return nullptr;
    return &loaded_.emplace(it->second, std::move(*pdu)).first->second;
  }
  rooms::StateLookup lookup() {
    return [this](std::string_view type, std::string_view state_key) { return find(type, state_key); };
  }

 private:
  const RoomState& room_;
  storage::EventStore& store_;
  bool current_;
  storage::StateMap map_;
  std::map<std::string, json::object> loaded_;
};

std::vector<std::string> ids_in(const json::object& pdu, std::string_view key, const rooms::RoomVersionRules& rules) {
  std::vector<std::string> ids;
  for (std::string_view id : rooms::referenced_event_ids(pdu, key, rules)) ids.emplace_back(id);
  return ids;
}

std::int64_t depth_of(const json::object& pdu) {
  const auto it = pdu.find("depth");
  return it != pdu.end() && it->value().is_int64() ? it->value().get_int64() : 0;
}

}  // namespace

PduIntake::PduIntake(std::string server_name, storage::EventStore& store, storage::RelationStore& relations,
                     RoomCache& rooms, WritePath& write_path, KeyFetcher& keys, Transport& transport)
    : server_name_(std::move(server_name)),
      store_(store),
      relations_(relations),
      rooms_(rooms),
      write_path_(write_path),
      keys_(keys),
      transport_(transport) {}

void PduIntake::receive(const std::string& origin, const json::value& pdu, Done done) {
  auto pending = std::make_shared<Pending>();
  pending->origin = origin;
  pending->done = std::move(done);
  if (!pdu.is_object()) return pending->finish("A PDU must be an object");
  pending->pdu = pdu.get_object();
  receive(std::move(pending));
}

void PduIntake::receive(std::shared_ptr<Pending> pending) {
  const std::string room_id(string_field(pending->pdu, "room_id"));
  pending->room = room_id.empty() ? nullptr : rooms_.room(room_id);
  if (!pending->room) return pending->finish("Unknown room");
  if (!pending->room->joined_servers.contains(server_name_)) return pending->finish("This server is not in the room");
  const rooms::RoomVersionRules& rules = *pending->room->rules;
  // Step 1; unsigned is nobody's signed word, and a relayed one would be kept and served.
  pending->pdu.erase("unsigned");
  if (auto valid = rooms::check_pdu_format(pending->pdu, rules); !valid) return pending->finish(valid.error().message);
  pending->event_id = rooms::event_id_of(pending->pdu, rules);
  if (rejected(pending->event_id)) return pending->finish("The event was rejected");
  if (store_.event(pending->event_id)) return pending->finish("");
  keys_.fetch(signing_keys_needed(pending->pdu, rules),
              [this, pending](const KeyLookup& keys) { signed_checks(pending, keys); });
}

void PduIntake::signed_checks(const std::shared_ptr<Pending>& pending, const KeyLookup& keys) {
  const RoomState& room = *pending->room;
  const rooms::RoomVersionRules& rules = *room.rules;
  if (auto verified = verify_pdu_signatures(pending->pdu, rules, keys); !verified)
    return pending->finish(verified.error().message);                                          // step 2: dropped
  if (!content_hash_matches(pending->pdu)) pending->pdu = rooms::redact(pending->pdu, rules);  // step 3
  // Step 4, against the event's own auth events, all of which must be here and not rejected.
  const std::vector<std::string> auth_ids = ids_in(pending->pdu, "auth_events", rules);
  std::vector<storage::StoredEvent> stored = store_.events(auth_ids);
  std::map<std::string, json::object> auth_pdus;
  for (const auto& event : stored)
    if (auto pdu = core::parse_json_object(event.json); pdu && event.room_id == room.room_id)
      auth_pdus.emplace(event.event_id, std::move(*pdu));
  std::vector<const json::object*> auth_events;
  for (const std::string& id : auth_ids) {
    const auto it = auth_pdus.find(id);
    if (it == auth_pdus.end()) return pending->finish("Auth event " + id + " is not known here");
    auth_events.push_back(&it->second);
  }
  const json::object* create = room.pdu("m.room.create", "");
  if (!create) return pending->finish("The room has no m.room.create here");
  if (auto allowed = authorize_by_auth_events(pending->pdu, auth_events, *create, rules); !allowed)
    return reject(pending, "Not allowed by its auth events: " + allowed.error().message);
  prev_events(pending);
}

void PduIntake::prev_events(const std::shared_ptr<Pending>& pending) {
  const std::vector<std::string> prev_ids = ids_in(pending->pdu, "prev_events", *pending->room->rules);
  std::vector<storage::StoredEvent> prevs = store_.events(prev_ids);
  std::erase_if(prevs, [&](const storage::StoredEvent& prev) { return prev.room_id != pending->room->room_id; });
  const std::set<std::string> wanted(prev_ids.begin(), prev_ids.end());
  if (prevs.size() >= wanted.size() && !prevs.empty()) return state_checks(pending, prevs);
  if (prev_ids.empty()) return reject(pending, "An event other than m.room.create must have prev_events");
  if (!pending->may_fetch) return pending->finish("Its prev_events are not known here");
  fetch_missing(pending);
}

void PduIntake::fetch_missing(const std::shared_ptr<Pending>& pending) {
  const RoomState& room = *pending->room;
  json::array earliest;
  std::int64_t min_depth = room.extremities.empty() ? 0 : room.extremities.front().depth;
  for (const auto& extremity : room.extremities) {
    earliest.emplace_back(extremity.event_id);
    min_depth = std::min(min_depth, extremity.depth);
  }
  OutgoingRequest request;
  request.destination = pending->origin;
  request.method = "POST";
  request.target = "/_matrix/federation/v1/get_missing_events/" + http::percent_encode(room.room_id);
  request.body = json::object{{"earliest_events", std::move(earliest)},
                              {"latest_events", json::array{json::value(pending->event_id)}},
                              {"limit", static_cast<std::int64_t>(kMissingEventsLimit)},
                              {"min_depth", min_depth}};
  request.max_response_bytes = (kMissingEventsLimit + 1) * rooms::kMaxPduBytes;
  transport_.send(std::move(request), [this, pending](const IncomingResponse& response) {
    auto events = std::make_shared<std::vector<json::object>>();
    auto body = response.status == 200 ? core::parse_json_object(response.body) : core::Result<json::object>();
    const auto it = body ? body->find("events") : json::object::iterator();
    if (body && it != body->end() && it->value().is_array()) {
      for (const auto& event : it->value().get_array()) {
        if (events->size() == kMissingEventsLimit) break;
        if (event.is_object() && string_field(event.get_object(), "room_id") == pending->room->room_id)
          events->push_back(event.get_object());
      }
    }
    std::ranges::stable_sort(*events, {}, depth_of);  // oldest first
    pending->may_fetch = false;
    receive_in_order(pending, std::move(events), 0);
  });
}

void PduIntake::receive_in_order(const std::shared_ptr<Pending>& pending,
                                 std::shared_ptr<std::vector<json::object>> events, std::size_t next) {
  if (next == events->size()) return prev_events(pending);
  auto missing = std::make_shared<Pending>();
  missing->origin = pending->origin;
  missing->pdu = std::move((*events)[next]);
  missing->may_fetch = false;
  missing->done = [this, pending, events, next](const PduOutcome& outcome) {
    if (!outcome.error.empty())
      spdlog::debug("federation: missing event {} from {} not taken: {}", outcome.event_id, pending->origin,
                    outcome.error);
    receive_in_order(pending, events, next + 1);
  };
  receive(std::move(missing));
}

void PduIntake::state_checks(const std::shared_ptr<Pending>& pending, const std::vector<storage::StoredEvent>& prevs) {
  RoomState& room = *pending->room;
  const rooms::RoomVersionRules& rules = *room.rules;
  // The state before the event: the state after its prev events. Only one state for now; the
  // resolution of several needs the store to take an explicit state before.
  const std::int64_t group = prevs.front().state_group;
  for (const auto& prev : prevs)
    if (prev.state_group != group) return pending->finish("Prev events with different states are not supported yet");
  StateView before(room, store_, group);
  if (auto allowed = rooms::authorize_event(pending->pdu, before.lookup(), rules); !allowed)  // step 5
    return reject(pending, "Not allowed by the state before it: " + allowed.error().message);
  if (group != room.state_group) {  // step 6, when the current state is another
    auto current = [&room](std::string_view type, std::string_view state_key) { return room.pdu(type, state_key); };
    if (auto allowed = rooms::authorize_event(pending->pdu, current, rules); !allowed) {
      spdlog::info("federation: soft-failed {} from {}: {}", pending->event_id, pending->origin,
                   allowed.error().message);
      return pending->finish("");
    }
  }
  const BuiltEvent built{pending->pdu, row_of(*pending, group)};
  write_path_.write(room, built);
  pending->finish("");
}

storage::NewEvent PduIntake::row_of(const Pending& pending, std::int64_t state_group_before) const {
  const RoomState& room = *pending.room;
  const rooms::RoomVersionRules& rules = *room.rules;
  const json::object& pdu = pending.pdu;
  storage::NewEvent row;
  row.event_id = pending.event_id;
  row.room_id = room.room_id;
  row.type = string_field(pdu, "type");
  if (pdu.contains("state_key")) row.state_key = std::string(string_field(pdu, "state_key"));
  row.sender = string_field(pdu, "sender");
  row.depth = depth_of(pdu);
  row.origin_server_ts = pdu.at("origin_server_ts").as_int64();
  row.json = core::canonical_json(pdu);
  row.prev_events = ids_in(pdu, "prev_events", rules);
  row.state_group_before = state_group_before;
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

void PduIntake::reject(const std::shared_ptr<Pending>& pending, std::string why) {
  if (rejected_.insert(pending->event_id).second) {
    rejected_order_.push_back(pending->event_id);
    if (rejected_order_.size() > kMaxRejected) {
      rejected_.erase(rejected_order_.front());
      rejected_order_.pop_front();
    }
  }
  spdlog::info("federation: rejected {} from {}: {}", pending->event_id, pending->origin, why);
  pending->finish(std::move(why));
}

}  // namespace myelin::homeserver
