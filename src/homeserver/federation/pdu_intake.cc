#include "homeserver/federation/pdu_intake.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "core/clock.h"
#include "homeserver/federation/invites.h"
#include "homeserver/federation/pdu_fields.h"
#include "homeserver/federation/pdu_intake_pending.h"
#include "http/http.h"
#include "rooms/event_format.h"
#include "rooms/pdu_format.h"
#include "rooms/server_acl.h"

namespace myelin::homeserver {

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
  if (!pending->room->joined_servers.contains(server_name_)) return out_of_room(std::move(pending));
  const rooms::RoomVersionRules& rules = *pending->room->rules;
  // Step 1; unsigned is nobody's signed word, and a relayed one would be kept and served.
  pending->pdu.erase("unsigned");
  if (auto valid = rooms::check_pdu_format(pending->pdu, rules); !valid) return pending->finish(valid.error().message);
  pending->event_id = rooms::event_id_of(pending->pdu, rules);
  if (!acl_allows(*pending->room, pending->origin)) return pending->finish("The room's server ACL denies your server");
  if (rejected(pending->event_id)) return pending->refuse("The event was rejected");
  if (auto stored = store_.event(pending->event_id); stored && stored->pos != 0) return pending->finish("");
  keys_.fetch(signing_keys_needed(pending->pdu, rules),
              [this, pending](const KeyLookup& keys) { signed_checks(pending, keys); });
}

void PduIntake::out_of_room(std::shared_ptr<Pending> pending) {
  const rooms::RoomVersionRules& rules = *pending->room->rules;
  pending->pdu.erase("unsigned");
  const json::object& pdu = pending->pdu;
  const std::string_view target = string_field(pdu, "state_key");
  const std::string membership = pending->room->membership(target);
  const json::value* content = pdu.if_contains("content");
  const std::string_view change =
      content && content->is_object() ? string_field(content->get_object(), "membership") : "";
  const bool ours = server_of_user(target) == server_name_ && (membership == "invite" || membership == "knock");
  if (string_field(pdu, "type") != "m.room.member" || !ours || (change != "leave" && change != "ban") ||
      server_of_user(string_field(pdu, "sender")) != pending->origin)
    return pending->finish("This server is not in the room");
  if (auto valid = rooms::check_pdu_format(pdu, rules); !valid) return pending->finish(valid.error().message);
  pending->event_id = rooms::event_id_of(pdu, rules);
  if (auto stored = store_.event(pending->event_id); stored && stored->pos != 0) return pending->finish("");
  keys_.fetch(signing_keys_needed(pdu, rules), [this, pending](const KeyLookup& keys) {
    const rooms::RoomVersionRules& rules = *pending->room->rules;
    if (auto verified = verify_pdu_signatures(pending->pdu, rules, keys); !verified)
      return pending->finish(verified.error().message);
    if (!content_hash_matches(pending->pdu)) return pending->finish("The content hash does not match");
    write_out_of_room(rooms_, write_path_, rules, pending->pdu, std::string(string_field(pending->pdu, "sender")));
    pending->finish("");
  });
}

bool PduIntake::acl_allows(const RoomState& room, const std::string& server) {
  return rooms::server_allowed_by_acl(room.content("m.room.server_acl", ""), server);
}

bool PduIntake::acl_allows(const std::string& room_id, const std::string& server) {
  const std::shared_ptr<RoomState> room = rooms_.room(room_id);
  return !room || acl_allows(*room, server);
}

void PduIntake::signed_checks(const std::shared_ptr<Pending>& pending, const KeyLookup& keys) {
  const rooms::RoomVersionRules& rules = *pending->room->rules;
  if (auto verified = verify_pdu_signatures(pending->pdu, rules, keys); !verified)
    return pending->finish(verified.error().message);                                          // step 2: dropped
  if (!content_hash_matches(pending->pdu)) pending->pdu = rooms::redact(pending->pdu, rules);  // step 3
  auth_checks(pending);
}

std::optional<std::vector<json::object>> PduIntake::auth_events_of(const RoomState& room, const json::object& pdu,
                                                                   const std::map<std::string, json::object>& fetched) {
  const std::vector<std::string> ids = ids_in(pdu, "auth_events", *room.rules);
  std::map<std::string, json::object> stored;
  for (const auto& event : store_.events(ids))
    if (auto parsed = core::parse_json_object(event.json); parsed && event.room_id == room.room_id)
      stored.emplace(event.event_id, std::move(*parsed));
  std::vector<json::object> events;
  for (const std::string& id : ids) {
    if (rejected(id)) return std::nullopt;
    const auto here = stored.find(id);
    const auto there = fetched.find(id);
    if (here != stored.end()) events.push_back(here->second);
    else if (there != fetched.end()) events.push_back(there->second);
    else return std::nullopt;
  }
  return events;
}

void PduIntake::auth_checks(const std::shared_ptr<Pending>& pending) {  // step 4
  const RoomState& room = *pending->room;
  auto auth_events = auth_events_of(room, pending->pdu, {});
  if (!auth_events && pending->may_fetch_auth && may_ask(pending->origin)) {
    pending->may_fetch_auth = false;
    return fetch_auth_chain(pending);
  }
  if (!auth_events) return pending->finish("Its auth events are not known here");
  const json::object* create = room.pdu("m.room.create", "");
  if (!create) return pending->finish("The room has no m.room.create here");
  std::vector<const json::object*> pointers;
  for (const json::object& event : *auth_events) pointers.push_back(&event);
  if (auto allowed = authorize_by_auth_events(pending->pdu, pointers, *create, *room.rules); !allowed)
    return reject(pending, "Not allowed by its auth events: " + allowed.error().message);
  prev_events(pending);
}

void PduIntake::prev_events(const std::shared_ptr<Pending>& pending) {
  const std::vector<std::string> named = ids_in(pending->pdu, "prev_events", *pending->room->rules);
  if (named.empty()) return reject(pending, "An event other than m.room.create must have prev_events");
  const std::vector<std::string> prev_ids = without_rejected(named);
  std::vector<storage::StoredEvent> prevs = store_.events(prev_ids);
  // Outliers and back-filled events (pos < 0) have no state here: as good as missing.
  std::erase_if(prevs, [&](const auto& prev) { return prev.room_id != pending->room->room_id || prev.pos <= 0; });
  const std::set<std::string> wanted(prev_ids.begin(), prev_ids.end());
  if (prevs.size() >= wanted.size() && !prevs.empty()) return state_checks(pending, prevs);
  if (!may_ask(pending->origin)) return pending->finish("Its prev_events are not known here");
  if (pending->may_fetch) return fetch_missing(pending);
  std::vector<std::string> missing;
  for (const std::string& id : wanted)
    if (std::ranges::none_of(prevs, [&id](const auto& prev) { return prev.event_id == id; })) missing.push_back(id);
  if (pending->budget->state_fetches < static_cast<int>(missing.size()))
    return pending->finish("Its prev_events are not known here");
  pending->budget->state_fetches -= static_cast<int>(missing.size());
  fetch_state_after(pending, std::move(prevs), std::move(missing), {});
}

void PduIntake::receive_in_order(const std::shared_ptr<Pending>& pending,
                                 std::shared_ptr<std::vector<json::object>> events, std::size_t next) {
  if (next == events->size()) return prev_events(pending);
  auto missing = std::make_shared<Pending>();
  missing->origin = pending->origin;
  missing->pdu = std::move((*events)[next]);
  missing->may_fetch = false;
  missing->budget = pending->budget;
  missing->done = [this, pending, events, next](const PduOutcome& outcome) {
    if (!outcome.error.empty())
      spdlog::debug("federation: missing event {} from {} not taken: {}", outcome.event_id, pending->origin,
                    outcome.error);
    receive_in_order(pending, events, next + 1);
  };
  receive(std::move(missing));
}

bool PduIntake::may_ask(const std::string& origin) const {
  auto it = slow_origins_.find(origin);
  return it == slow_origins_.end() || core::now_ms() - it->second >= kFetchBackoffMs;
}

void PduIntake::answered(const std::string& origin, std::int64_t asked_at, const IncomingResponse& response) {
  const std::int64_t now = core::now_ms();
  if (response.status != 0 || now - asked_at < kSlowFetchMs) {
    slow_origins_.erase(origin);
    return;
  }
  if (slow_origins_.size() >= kMaxSlowOrigins) slow_origins_.clear();
  slow_origins_[origin] = now;
  spdlog::info("federation: {} did not answer a fetch in time; not asked again for {} s", origin,
               kFetchBackoffMs / 1000);
}

void PduIntake::remember_rejected(const std::string& event_id, std::vector<std::string> prev_events) {
  if (!rejected_.emplace(event_id, std::move(prev_events)).second) return;
  rejected_order_.push_back(event_id);
  if (rejected_order_.size() > kMaxRejected) {
    rejected_.erase(rejected_order_.front());
    rejected_order_.pop_front();
  }
}

std::vector<std::string> PduIntake::without_rejected(std::vector<std::string> prev_ids) const {
  // A chain of rejected events is followed as far as memory reaches, a bounded number of steps.
  for (int step = 0; step < 20; ++step) {
    std::vector<std::string> next;
    bool replaced = false;
    for (std::string& id : prev_ids) {
      auto it = rejected_.find(id);
      if (it == rejected_.end()) {
        next.push_back(std::move(id));
      } else {
        replaced = true;
        next.insert(next.end(), it->second.begin(), it->second.end());
      }
    }
    std::sort(next.begin(), next.end());
    next.erase(std::unique(next.begin(), next.end()), next.end());
    prev_ids = std::move(next);
    if (!replaced) break;
  }
  return prev_ids;
}

void PduIntake::reject(const std::shared_ptr<Pending>& pending, std::string why) {
  remember_rejected(pending->event_id, ids_in(pending->pdu, "prev_events", *pending->room->rules));
  spdlog::info("federation: rejected {} from {}: {}", pending->event_id, pending->origin, why);
  pending->refuse(std::move(why));
}

}  // namespace myelin::homeserver
