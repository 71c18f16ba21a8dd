#include "homeserver/federation/remote_backfill.h"

#include <algorithm>
#include <set>
#include <utility>

#include "homeserver/federation/join_response.h"
#include "homeserver/federation/pdu_fields.h"
#include "homeserver/timeline/room_state.h"
#include "homeserver/timeline/visibility.h"
#include "rooms/auth.h"
#include "rooms/event_format.h"
#include "rooms/server_acl.h"

namespace myelin::homeserver {

struct RemoteBackfill::Run {
  std::string room_id;
  const rooms::RoomVersionRules* rules = nullptr;
  std::vector<std::string> servers;
  std::size_t next = 0;
  std::vector<std::string> from;  // the room's earliest events
  std::int64_t max_depth = 0;     // the deepest of them: nothing deeper is taken
  std::vector<std::function<void()>> waiters;
  bool answered = false;
  std::unique_ptr<http::Timer> deadline;
};

void RemoteBackfill::backfill(const std::string& room_id, std::function<void()> done) {
  if (auto it = running_.find(room_id); it != running_.end()) {
    Run& run = *it->second;
    if (run.answered || run.waiters.size() >= kMaxWaiters) return done();
    run.waiters.push_back(std::move(done));
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (auto idle = idle_until_.find(room_id); idle != idle_until_.end()) {
    if (idle->second > now) return done();
    idle_until_.erase(idle);
  }
  std::shared_ptr<RoomState> room = rooms_.room(room_id);
  if (!room || !room->rules || !room->pdu("m.room.create", "")) return done();
  auto earliest = store_.room_events(room_id, kHistoryStart, kNoEnd, kMaxFrom, storage::Direction::kForward);
  if (earliest.empty() || earliest.front().type == "m.room.create") return done();

  auto run = std::make_shared<Run>();
  run->room_id = room_id;
  run->rules = room->rules;
  const json::object* acl = room->content("m.room.server_acl", "");
  auto add_server = [&](std::string_view server) {
    if (run->servers.size() < kMaxServers && !server.empty() && server != server_name_ &&
        rooms::server_allowed_by_acl(acl, server) && std::ranges::find(run->servers, server) == run->servers.end())
      run->servers.emplace_back(server);
  };
  add_server(server_of_user(earliest.front().sender));
  for (const auto& [server, members] : room->joined_servers) add_server(server);
  if (run->servers.empty()) return done();
  for (const auto& event : earliest) {
    run->from.push_back(event.event_id);
    run->max_depth = std::max(run->max_depth, event.depth);
  }
  run->waiters.push_back(std::move(done));
  running_[room_id] = run;
  run->deadline = scheduler_.after(kDeadline, [weak = std::weak_ptr<Run>(run)] {
    if (auto run = weak.lock()) answer(*run);
  });
  try_next(std::move(run));
}

void RemoteBackfill::try_next(std::shared_ptr<Run> run) {
  if (run->next == run->servers.size()) return finish(std::move(run), false);
  OutgoingRequest request;
  request.destination = run->servers[run->next++];
  request.method = "GET";
  request.target = "/_matrix/federation/v1/backfill/" + http::percent_encode(run->room_id) + "?";
  for (const auto& id : run->from) request.target += "v=" + http::percent_encode(id) + "&";
  request.target += "limit=" + std::to_string(kLimit);
  request.max_response_bytes = kMaxResponseBytes;
  request.timeout = kRequestTimeout;
  transport_.send(std::move(request), [this, run](IncomingResponse response) { on_answer(run, response); });
}

void RemoteBackfill::on_answer(std::shared_ptr<Run> run, const IncomingResponse& response) {
  auto body = response.status == 200 ? core::parse_json_object(response.body) : core::Result<json::object>();
  json::value* list = response.status == 200 && body ? body->if_contains("pdus") : nullptr;
  if (!list || !list->is_array()) return try_next(std::move(run));
  std::vector<json::object> pdus;
  for (json::value& pdu : list->get_array()) {
    if (pdus.size() == kLimit) break;
    if (pdu.is_object()) pdus.push_back(std::move(pdu.get_object()));
  }
  std::vector<KeyNeed> needs;
  for (const auto& pdu : pdus)
    for (KeyNeed& need : signing_keys_needed(pdu, *run->rules)) needs.push_back(std::move(need));
  keys_.fetch(std::move(needs), [this, run, pdus = std::move(pdus)](KeyLookup keys) mutable {
    if (store_batch(*run, std::move(pdus), keys)) return finish(run, true);
    try_next(run);
  });
}

bool RemoteBackfill::store_batch(const Run& run, std::vector<json::object> pdus, const KeyLookup& keys) {
  std::shared_ptr<RoomState> room = rooms_.room(run.room_id);
  const json::object* create = room ? room->pdu("m.room.create", "") : nullptr;
  if (!create) return false;
  // The auth events the batch names but does not hold, from the store (checked when stored).
  std::set<std::string> in_batch;
  for (const auto& pdu : pdus) in_batch.insert(rooms::event_id_of(pdu, *run.rules));
  std::map<std::string, json::object, std::less<>> stored;
  for (const auto& pdu : pdus) {
    for (std::string_view id : rooms::referenced_event_ids(pdu, "auth_events", *run.rules)) {
      if (in_batch.contains(std::string(id)) || stored.contains(id)) continue;
      auto event = store_.event(std::string(id));
      if (!event || event->room_id != run.room_id) continue;
      if (auto parsed = core::parse_json_object(event->json)) stored.emplace(std::string(id), std::move(*parsed));
    }
  }
  auto known = [&stored](std::string_view id) -> const json::object* {
    auto it = stored.find(id);
    return it == stored.end() ? nullptr : &it->second;
  };
  std::vector<CheckedPdu> checked = check_pdu_batch(std::move(pdus), run.room_id, *create, *run.rules, keys, known);
  std::erase_if(checked, [&](const CheckedPdu& event) {
    if (depth_of(event.pdu) > run.max_depth) return true;
    auto found = store_.event(event.event_id);
    return found && found->pos != 0;  // in the timeline already
  });
  if (checked.empty()) return false;
  std::ranges::stable_sort(checked, [](const CheckedPdu& a, const CheckedPdu& b) {
    const auto da = depth_of(a.pdu), db = depth_of(b.pdu);
    return da != db ? da < db : a.event_id < b.event_id;
  });

  // A redaction in the batch erases its target's content when the target is in the batch too
  // and the power levels allow it (as the receiver judges a live one); a target fetched by a
  // later batch comes redacted from a server that applied it.
  std::map<std::string, std::size_t, std::less<>> index;
  for (std::size_t i = 0; i < checked.size(); ++i) index.emplace(checked[i].event_id, i);
  const rooms::PowerLevels levels(room->content("m.room.power_levels", ""), *create, *run.rules);
  for (const auto& event : checked) {
    if (string_field(event.pdu, "type") != "m.room.redaction") continue;
    const auto target_id = rooms::redacts_of(event.pdu, *run.rules);
    auto target = target_id ? index.find(*target_id) : index.end();
    if (target == index.end()) continue;
    json::object& target_pdu = checked[target->second].pdu;
    if (rooms::redaction_applies(levels, string_field(event.pdu, "sender"), string_field(target_pdu, "sender")))
      target_pdu = rooms::redact(target_pdu, *run.rules);
  }

  storage::HistoryBatch batch;
  batch.room_id = run.room_id;
  // The visibility below the batch: the room's earliest known value, unknown ("joined") once
  // the walk down passes a history_visibility event, the default below the create event.
  const auto changes = store_.history_visibility_changes(run.room_id);
  std::string visibility = changes.empty() ? "shared" : changes.front().value;
  for (auto it = checked.rbegin(); it != checked.rend(); ++it) {
    const std::string_view type = string_field(it->pdu, "type");
    const bool state = it->pdu.contains("state_key");
    if (state && type == "m.room.history_visibility" && string_field(it->pdu, "state_key").empty())
      visibility = "joined";
    if (state && type == "m.room.create") visibility = "shared";
  }
  batch.visibility_before = visibility;
  for (auto& event : checked) {
    const json::object& pdu = event.pdu;
    std::optional<std::string> state_key;
    if (pdu.contains("state_key")) state_key = std::string(string_field(pdu, "state_key"));
    batch.events.push_back({event.event_id, run.room_id, std::string(string_field(pdu, "type")), state_key,
                            std::string(string_field(pdu, "sender")), depth_of(pdu),
                            pdu.at("origin_server_ts").to_number<std::int64_t>(), core::canonical_json(pdu)});
  }
  return !store_.persist_history(batch).empty();
}

void RemoteBackfill::finish(std::shared_ptr<Run> run, bool progressed) {
  running_.erase(run->room_id);
  if (!progressed) {
    constexpr std::size_t kMaxIdle = 10'000;
    if (idle_until_.size() >= kMaxIdle) idle_until_.clear();
    idle_until_[run->room_id] = std::chrono::steady_clock::now() + kRetryAfter;
  }
  if (run->deadline) run->deadline->cancel();
  answer(*run);
}

void RemoteBackfill::answer(Run& run) {
  if (run.answered) return;
  run.answered = true;
  for (auto& waiter : std::exchange(run.waiters, {})) waiter();
}

}  // namespace myelin::homeserver
