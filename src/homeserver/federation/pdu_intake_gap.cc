// PduIntake: a received event whose prev events are not here (server-server-api "Retrieving
// missing events" and "Retrieving room state at an event"): the gap asked of its origin through
// /get_missing_events in rounds, and for prev events that stay missing, the state after them
// through /state_ids and /event.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "core/clock.h"
#include "homeserver/federation/pdu_fields.h"
#include "homeserver/federation/pdu_intake.h"
#include "homeserver/federation/pdu_intake_pending.h"
#include "http/http.h"
#include "rooms/event_format.h"
#include "rooms/pdu_format.h"

namespace myelin::homeserver {

// One gap being fetched: the events so far, and those whose prev events the next round asks for.
struct PduIntake::Gap {
  std::map<std::string, json::object> events;  // event ID → PDU
  std::vector<std::string> frontier;
  std::size_t bytes = 0;
};

namespace {

// The string elements of body[key], at most `bound`; nullopt when it is no array of strings.
std::optional<std::vector<std::string>> id_list(const json::object& body, std::string_view key, std::size_t bound) {
  const json::value* list = body.if_contains(key);
  if (!list || !list->is_array() || list->get_array().size() > bound) return std::nullopt;
  std::vector<std::string> ids;
  for (const json::value& id : list->get_array()) {
    if (!id.is_string()) return std::nullopt;
    ids.emplace_back(id.get_string());
  }
  return ids;
}

}  // namespace

void PduIntake::fetch_missing(const std::shared_ptr<Pending>& pending) {
  pending->may_fetch = false;
  auto gap = std::make_shared<Gap>();
  gap->frontier.push_back(pending->event_id);
  missing_round(pending, gap);
}

void PduIntake::missing_round(const std::shared_ptr<Pending>& pending, const std::shared_ptr<Gap>& gap) {
  const RoomState& room = *pending->room;
  const std::size_t limit = std::min(kMissingEventsLimit, kMaxGapEvents - gap->events.size());
  if (limit == 0 || gap->frontier.empty() || gap->bytes > kMaxGapBytes) {
    auto events = std::make_shared<std::vector<json::object>>();
    for (auto& [id, pdu] : gap->events) events->push_back(std::move(pdu));
    std::ranges::stable_sort(*events, {}, depth_of);  // oldest first
    return receive_in_order(pending, std::move(events), 0);
  }
  json::array earliest, latest;
  for (const auto& extremity : room.extremities) earliest.emplace_back(extremity.event_id);
  for (const std::string& id : gap->frontier) latest.emplace_back(id);
  gap->frontier.clear();
  OutgoingRequest request;
  request.destination = pending->origin;
  request.method = "POST";
  request.target = "/_matrix/federation/v1/get_missing_events/" + http::percent_encode(room.room_id);
  request.body = json::object{{"earliest_events", std::move(earliest)},
                              {"latest_events", std::move(latest)},
                              {"limit", static_cast<std::int64_t>(limit)},
                              {"min_depth", std::int64_t{0}}};
  request.max_response_bytes = (limit + 1) * rooms::kMaxPduBytes;
  request.timeout = kFetchTimeout;
  transport_.send(
      std::move(request), [this, pending, gap, limit, asked_at = core::now_ms()](const IncomingResponse& response) {
        answered(pending->origin, asked_at, response);
        const RoomState& room = *pending->room;
        const rooms::RoomVersionRules& rules = *room.rules;
        gap->bytes += response.body.size();
        auto body = response.status == 200 ? core::parse_json_object(response.body) : core::Result<json::object>();
        const json::value* returned = body ? body->if_contains("events") : nullptr;
        std::vector<std::string> added;
        if (returned && returned->is_array()) {
          for (const auto& value : returned->get_array()) {
            if (added.size() == limit) break;
            if (!value.is_object()) continue;
            json::object pdu = value.get_object();
            pdu.erase("unsigned");
            if (string_field(pdu, "room_id") != room.room_id || !rooms::check_pdu_format(pdu, rules)) continue;
            std::string id = rooms::event_id_of(pdu, rules);
            if (id == pending->event_id || gap->events.contains(id) || rejected(id)) continue;
            if (auto stored = store_.event(id); stored && stored->pos > 0) continue;
            gap->events.emplace(id, std::move(pdu));
            added.push_back(std::move(id));
          }
        }
        // The next round asks for what the new events' prev events lead to.
        std::set<std::string> frontier;
        for (const std::string& id : added) {
          for (std::string& prev : ids_in(gap->events.at(id), "prev_events", rules)) {
            if (gap->events.contains(prev) || frontier.contains(prev)) continue;
            if (auto stored = store_.event(prev); stored && stored->pos > 0) continue;
            frontier.insert(id);
          }
        }
        gap->frontier.assign(frontier.begin(), frontier.end());
        if (gap->frontier.size() > kMissingEventsLimit) gap->frontier.resize(kMissingEventsLimit);
        missing_round(pending, gap);
      });
}

void PduIntake::fetch_state_after(const std::shared_ptr<Pending>& pending, std::vector<storage::StoredEvent> prevs,
                                  std::vector<std::string> missing, std::vector<storage::StateMap> states) {
  if (missing.empty()) return state_checks(pending, prevs, std::move(states));
  const std::string prev = missing.back();
  missing.pop_back();
  OutgoingRequest request;
  request.destination = pending->origin;
  request.method = "GET";
  request.target = "/_matrix/federation/v1/state_ids/" + http::percent_encode(pending->room->room_id) +
                   "?event_id=" + http::percent_encode(prev);
  request.max_response_bytes = 16 << 20;
  request.timeout = kFetchTimeout;
  transport_.send(std::move(request), [this, pending, prevs = std::move(prevs), missing = std::move(missing),
                                       states = std::move(states), prev,
                                       asked_at = core::now_ms()](const IncomingResponse& response) mutable {
    answered(pending->origin, asked_at, response);
    auto body = response.status == 200 ? core::parse_json_object(response.body) : core::Result<json::object>();
    auto state_ids = body ? id_list(*body, "pdu_ids", kMaxStateIds) : std::nullopt;
    auto auth_ids = body ? id_list(*body, "auth_chain_ids", kMaxStateIds) : std::nullopt;
    if (!state_ids || !auth_ids)
      return pending->finish("Its prev_events are not known here, and their state could not be fetched");
    std::set<std::string> wanted(state_ids->begin(), state_ids->end());
    wanted.insert(auth_ids->begin(), auth_ids->end());
    wanted.insert(prev);
    std::vector<std::string> ids(wanted.begin(), wanted.end());
    std::erase_if(ids, [this](const std::string& id) { return rejected(id); });
    std::set<std::string> stored;
    for (const auto& event : store_.events(ids)) stored.insert(event.event_id);
    std::erase_if(ids, [&stored](const std::string& id) { return stored.contains(id); });
    if (ids.size() > kMaxStateFetchEvents)
      return pending->finish("Its prev_events are not known here, and too much of their state is missing");
    fetch_events(pending->origin, pending->room->room_id, std::move(ids),
                 [this, pending, prevs = std::move(prevs), missing = std::move(missing), states = std::move(states),
                  prev, state_ids = std::move(*state_ids)](Fetched fetched) mutable {
                   std::ranges::stable_sort(fetched, {}, [](const auto& event) { return depth_of(event.second); });
                   std::vector<KeyNeed> needs;
                   for (const auto& [id, pdu] : fetched)
                     for (KeyNeed& need : signing_keys_needed(pdu, *pending->room->rules))
                       needs.push_back(std::move(need));
                   auto events = std::make_shared<Fetched>(std::move(fetched));
                   keys_.fetch(std::move(needs), [this, pending, events, prevs = std::move(prevs),
                                                  missing = std::move(missing), states = std::move(states), prev,
                                                  state_ids = std::move(state_ids)](const KeyLookup& keys) mutable {
                     store_auth_chain(*pending->room, *events, keys);
                     auto after = state_after(pending->room->room_id, prev, state_ids);
                     if (!after) return pending->finish("The state after its missing prev_events could not be fetched");
                     states.push_back(std::move(*after));
                     fetch_state_after(pending, std::move(prevs), std::move(missing), std::move(states));
                   });
                 });
  });
}

std::optional<storage::StateMap> PduIntake::state_after(const std::string& room_id, const std::string& event_id,
                                                        const std::vector<std::string>& state_ids) {
  std::vector<std::string> ids = state_ids;
  ids.push_back(event_id);
  const std::vector<storage::StoredEvent> events = store_.events(ids);
  storage::StateMap state;
  const storage::StoredEvent* self = nullptr;
  for (const auto& event : events) {
    if (event.room_id != room_id) return std::nullopt;
    if (event.event_id == event_id) {
      self = &event;
      continue;
    }
    if (!event.state_key) return std::nullopt;
    state[{event.type, *event.state_key}] = event.event_id;
  }
  if (!self || state.size() != std::set<std::string>(state_ids.begin(), state_ids.end()).size()) return std::nullopt;
  if (self->state_key) state[{self->type, *self->state_key}] = event_id;
  return state;
}

void PduIntake::fetch_events(const std::string& origin, const std::string& room_id, std::vector<std::string> ids,
                             std::function<void(Fetched)> done) {
  struct Batch {
    std::vector<std::string> ids;
    std::size_t next = 0, answered = 0;
    Fetched events;
    std::function<void(Fetched)> done;
    std::function<void()> one_more;
  };
  auto batch = std::make_shared<Batch>();
  batch->ids = std::move(ids);
  batch->done = std::move(done);
  if (batch->ids.empty()) return batch->done({});
  // One request per event, kParallelEventFetches at a time; the last answer ends the batch.
  batch->one_more = [this, origin, room_id, weak = std::weak_ptr<Batch>(batch)] {
    auto batch = weak.lock();
    const std::string id = batch->ids[batch->next++];
    OutgoingRequest request;
    request.destination = origin;
    request.method = "GET";
    request.target = "/_matrix/federation/v1/event/" + http::percent_encode(id);
    request.max_response_bytes = 2 * rooms::kMaxPduBytes;
    request.timeout = kFetchTimeout;
    transport_.send(std::move(request), [this, batch, origin, room_id, id,
                                         asked_at = core::now_ms()](const IncomingResponse& response) {
      answered(origin, asked_at, response);
      const std::shared_ptr<RoomState> room = rooms_.room(room_id);
      auto body = response.status == 200 ? core::parse_json_object(response.body) : core::Result<json::object>();
      const json::value* pdus = body ? body->if_contains("pdus") : nullptr;
      if (room && pdus && pdus->is_array() && pdus->get_array().size() == 1 && pdus->get_array()[0].is_object()) {
        json::object pdu = pdus->get_array()[0].get_object();
        pdu.erase("unsigned");
        if (string_field(pdu, "room_id") == room_id && rooms::check_pdu_format(pdu, *room->rules) &&
            rooms::event_id_of(pdu, *room->rules) == id)
          batch->events.emplace_back(id, std::move(pdu));
      }
      ++batch->answered;
      if (batch->next < batch->ids.size()) return batch->one_more();
      if (batch->answered == batch->ids.size()) {
        batch->one_more = nullptr;
        batch->done(std::move(batch->events));
      }
    });
  };
  for (std::size_t i = 0; i < kParallelEventFetches && batch->next < batch->ids.size(); ++i) batch->one_more();
}

}  // namespace myelin::homeserver
