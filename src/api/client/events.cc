// Sending and reading room events (client-server-api "Sending events to a room", "Getting
// events for a room", "Redactions"):
// PUT /rooms/{roomId}/send/{eventType}/{txnId}, PUT/GET /rooms/{roomId}/state/{eventType}[/{stateKey}],
// GET /rooms/{roomId}/state, PUT /rooms/{roomId}/redact/{eventId}/{txnId},
// GET /rooms/{roomId}/event/{eventId}; GET /rooms/{roomId}/initialSync ("Room Previews", the
// deprecated snapshot of a room that clients now use only to peek into readable rooms).
#include <algorithm>

#include "api/handlers.h"
#include "core/ids.h"
#include "homeserver/timeline/client_format.h"
#include "homeserver/timeline/pagination.h"
#include "homeserver/sync/sync.h"
#include "homeserver/timeline/visibility.h"

namespace myelin::api {
namespace {

using core::Errc;

// Sends the draft, idempotently on routes with a transaction ID.
void send_draft(Call& call, homeserver::EventDraft draft) {
  auto sent = call.hs.timeline.send(call.param(0), std::move(draft), call.transaction());
  if (!sent) return call.fail(sent.error());
  call.reply(json::object{{"event_id", sent->event_id}});
}

// The state of the room the caller may see (homeserver::visible_state), or an error answered
// already when they may read none of it.
std::optional<storage::StateMap> readable_state(Call& call) {
  homeserver::RoomState* room = call.hs.timeline.room(call.param(0));
  auto visible = homeserver::readable_events(call.hs.store, room, call.user().user_id);
  if (!visible) {
    call.fail(visible.error());
    return std::nullopt;
  }
  return homeserver::visible_state(call.hs.store, *room, *visible, call.hs.store.current_pos());
}

// m.room.canonical_alias (client-server-api): every alias named must exist and point at this
// room, else 400 M_BAD_ALIAS.
core::Status check_canonical_alias(Call& call, const json::object& content) {
  std::vector<std::string> aliases;
  if (auto alias = content.if_contains("alias")) {
    if (!alias->is_string()) return core::fail(Errc::kBadJson, "alias must be a string");
    aliases.emplace_back(alias->get_string());
  }
  if (auto alt = content.if_contains("alt_aliases")) {
    if (!alt->is_array()) return core::fail(Errc::kBadJson, "alt_aliases must be an array");
    for (const auto& value : alt->get_array()) {
      if (!value.is_string()) return core::fail(Errc::kBadJson, "alt_aliases must hold strings");
      aliases.emplace_back(value.get_string());
    }
  }
  for (const auto& alias : aliases) {
    if (!core::RoomAlias::parse(alias)) return core::fail(Errc::kInvalidParam, "Invalid alias " + alias);
    if (call.hs.store.alias_room(alias) != call.param(0))
      return core::fail(Errc::kBadAlias, "Alias " + alias + " does not point to this room");
  }
  return {};
}

}  // namespace

void put_send(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  send_draft(call, {call.user().user_id, call.param(1), std::nullopt, std::move(*body), {}});
}

void put_state(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  if (call.param(1) == "m.room.canonical_alias") {
    if (auto valid = check_canonical_alias(call, *body); !valid) return call.fail(valid.error());
  }
  std::string state_key = call.request.params.size() > 2 ? call.param(2) : "";
  send_draft(call, {call.user().user_id, call.param(1), std::move(state_key), std::move(*body), {}});
}

void put_redact(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  json::object content;
  if (auto reason = optional_string(*body, "reason"); !reason) return call.fail(reason.error());
  else if (*reason) content["reason"] = **reason;
  send_draft(call, {call.user().user_id, "m.room.redaction", std::nullopt, std::move(content), call.param(1)});
}

void get_state_event(Call& call) {
  auto state = readable_state(call);
  if (!state) return;
  std::string state_key = call.request.params.size() > 2 ? call.param(2) : "";
  auto it = state->find({call.param(1), state_key});
  if (it == state->end()) return call.fail(core::make_error(Errc::kNotFound, "Event not found"));
  auto event = call.hs.store.event(it->second);
  if (!event) return call.fail(core::make_error(Errc::kNotFound, "Event not found"));
  json::object formatted = homeserver::client_event(call.hs.store, *event, call.user().device_id, false);
  auto format = call.request.query_param("format");
  if (format && *format == "event") return call.reply(formatted);
  call.reply(formatted["content"]);
}

void get_state(Call& call) {
  auto state = readable_state(call);
  if (!state) return;
  std::vector<std::string> ids;
  for (const auto& [key, event_id] : *state) ids.push_back(event_id);
  json::array events;
  for (const auto& event : call.hs.store.events(ids))
    events.push_back(homeserver::client_event(call.hs.store, event, call.user().device_id, false));
  call.reply(events);
}

void get_event(Call& call) {
  homeserver::RoomState* room = call.hs.timeline.room(call.param(0));
  auto event = call.hs.store.event(call.param(1));
  if (!room || !event || event->room_id != call.param(0) ||
      !homeserver::visible_events(call.hs.store, *room, call.user().user_id).contains(event->pos))
    return call.fail(core::make_error(Errc::kNotFound, "Event not found"));
  call.reply(homeserver::client_event(call.hs.store, *event, call.user().device_id));
}

void get_room_initial_sync(Call& call) {
  homeserver::RoomState* room = call.hs.timeline.room(call.param(0));
  const std::string& user = call.user().user_id;
  const auto visible = homeserver::readable_events(call.hs.store, room, user);
  if (!visible) return call.fail(visible.error());
  auto requested = int_query_param(call.request, "limit", 10);
  if (!requested) return call.fail(requested.error());
  const auto limit = static_cast<std::size_t>(std::clamp<std::int64_t>(*requested, 1, 100));
  const storage::StreamPos now = call.hs.store.current_pos();
  const storage::StreamPos end = visible->last(now);
  auto page = homeserver::filtered_events(call.hs.store, call.param(0), visible->within(0, end), limit,
                                          storage::Direction::kBackward, homeserver::EventFilter{});
  std::reverse(page.events.begin(), page.events.end());
  json::array chunk, state, account_data;
  for (const auto& event : page.events)
    chunk.push_back(homeserver::client_event(call.hs.store, event, call.user().device_id));
  std::vector<std::string> ids;
  for (const auto& [key, event_id] : homeserver::visible_state(call.hs.store, *room, *visible, now))
    ids.push_back(event_id);
  for (const auto& event : call.hs.store.events(ids))
    state.push_back(homeserver::client_event(call.hs.store, event, call.user().device_id, false));
  for (const auto& entry : call.hs.store.account_data_since(user, 0)) {
    if (entry.room_id != call.param(0)) continue;
    auto content = core::parse_json(entry.content);
    if (content) account_data.push_back(json::object{{"type", entry.type}, {"content", std::move(*content)}});
  }
  const auto record = call.hs.store.room(call.param(0));
  json::object response{
      {"room_id", call.param(0)},
      {"messages", {{"chunk", std::move(chunk)},
                    {"start", homeserver::stream_token(page.events.empty() ? end : page.events.front().pos - 1)},
                    {"end", homeserver::stream_token(end)}}},
      {"state", std::move(state)},
      {"account_data", std::move(account_data)},
      {"visibility", record && record->published ? "public" : "private"},
      // Synapse's field, which clients of this endpoint expect; presence reaches clients through /sync.
      {"presence", json::array{}}};
  if (const std::string membership = room->membership(user); !membership.empty()) response["membership"] = membership;
  call.reply(response);
}

}  // namespace myelin::api
