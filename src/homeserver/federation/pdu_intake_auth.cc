// PduIntake: the auth events of a received event that are not stored here, fetched from its
// origin (server-server-api "Retrieving event authorisation information") and kept as outliers.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/clock.h"
#include "homeserver/federation/pdu_fields.h"
#include "homeserver/federation/pdu_intake.h"
#include "homeserver/federation/pdu_intake_pending.h"
#include "http/http.h"
#include "rooms/event_format.h"
#include "rooms/pdu_format.h"

namespace myelin::homeserver {

storage::NewOutlier outlier_of(const std::string& event_id, const std::string& room_id, const json::object& pdu) {
  storage::NewOutlier outlier;
  outlier.event_id = event_id;
  outlier.room_id = room_id;
  outlier.type = string_field(pdu, "type");
  if (pdu.contains("state_key")) outlier.state_key = std::string(string_field(pdu, "state_key"));
  outlier.sender = string_field(pdu, "sender");
  outlier.depth = depth_of(pdu);
  const json::value* ts = pdu.if_contains("origin_server_ts");
  outlier.origin_server_ts = ts && ts->is_int64() ? ts->get_int64() : 0;
  outlier.json = core::canonical_json(pdu);
  return outlier;
}

void PduIntake::fetch_auth_chain(const std::shared_ptr<Pending>& pending) {
  OutgoingRequest request;
  request.destination = pending->origin;
  request.method = "GET";
  request.target = "/_matrix/federation/v1/event_auth/" + http::percent_encode(pending->room->room_id) + "/" +
                   http::percent_encode(pending->event_id);
  request.max_response_bytes = kMaxAuthChainBytes;
  request.timeout = kFetchTimeout;
  transport_.send(std::move(request), [this, pending, asked_at = core::now_ms()](const IncomingResponse& response) {
    answered(pending->origin, asked_at, response);
    const RoomState& room = *pending->room;
    const rooms::RoomVersionRules& rules = *room.rules;
    auto body = response.status == 200 ? core::parse_json_object(response.body) : core::Result<json::object>();
    const json::value* chain = body ? body->if_contains("auth_chain") : nullptr;
    if (!chain || !chain->is_array()) {
      // No chain to be had (a server that does not serve /event_auth): the event's own auth
      // events that are missing here, one by one (at most the 10 a PDU may name).
      std::vector<std::string> missing;
      for (const std::string& id : ids_in(pending->pdu, "auth_events", rules))
        if (!rejected(id) && !store_.event(id)) missing.push_back(id);
      return fetch_events(pending->origin, room.room_id, std::move(missing),
                          [this, pending](Fetched fetched) { take_auth_events(pending, std::move(fetched)); });
    }
    Fetched events;
    for (const json::value& value : chain->get_array()) {
      if (events.size() == kMaxAuthChainEvents) break;
      if (!value.is_object()) continue;
      json::object pdu = value.get_object();
      pdu.erase("unsigned");
      if (string_field(pdu, "room_id") != room.room_id || !rooms::check_pdu_format(pdu, rules)) continue;
      std::string id = rooms::event_id_of(pdu, rules);
      events.emplace_back(std::move(id), std::move(pdu));
    }
    take_auth_events(pending, std::move(events));
  });
}

void PduIntake::take_auth_events(const std::shared_ptr<Pending>& pending, Fetched fetched) {
  const rooms::RoomVersionRules& rules = *pending->room->rules;
  auto events = std::make_shared<Fetched>();
  std::vector<KeyNeed> needs;
  for (auto& [id, pdu] : fetched) {
    if (rejected(id) || store_.event(id)) continue;
    for (KeyNeed& need : signing_keys_needed(pdu, rules)) needs.push_back(std::move(need));
    events->emplace_back(std::move(id), std::move(pdu));
  }
  std::ranges::stable_sort(*events, {}, [](const auto& event) { return depth_of(event.second); });
  keys_.fetch(std::move(needs), [this, pending, events](const KeyLookup& keys) {
    store_auth_chain(*pending->room, *events, keys);
    auth_checks(pending);
  });
}

void PduIntake::store_auth_chain(const RoomState& room, Fetched& events, const KeyLookup& keys) {
  const rooms::RoomVersionRules& rules = *room.rules;
  const json::object* create = room.pdu("m.room.create", "");
  if (!create) return;
  std::map<std::string, json::object> accepted;
  std::vector<storage::NewOutlier> outliers;
  for (auto& [id, pdu] : events) {  // oldest first: an event's auth events come before it
    if (!verify_pdu_signatures(pdu, rules, keys)) continue;
    if (!content_hash_matches(pdu)) pdu = rooms::redact(pdu, rules);
    auto auth_events = auth_events_of(room, pdu, accepted);
    if (!auth_events) continue;
    std::vector<const json::object*> pointers;
    for (const json::object& event : *auth_events) pointers.push_back(&event);
    if (auto allowed = authorize_by_auth_events(pdu, pointers, *create, rules); !allowed) {
      spdlog::info("federation: rejected auth event {}: {}", id, allowed.error().message);
      remember_rejected(id, ids_in(pdu, "prev_events", rules));
      continue;
    }
    outliers.push_back(outlier_of(id, room.room_id, pdu));
    accepted.emplace(id, std::move(pdu));
  }
  if (!outliers.empty()) store_.persist_outliers(outliers);
}

}  // namespace myelin::homeserver
