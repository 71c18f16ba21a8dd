// Sending and reading room events (client-server-api "Sending events to a room", "Getting
// events for a room", "Redactions"):
// PUT /rooms/{roomId}/send/{eventType}/{txnId}, PUT/GET /rooms/{roomId}/state/{eventType}[/{stateKey}],
// GET /rooms/{roomId}/state, PUT /rooms/{roomId}/redact/{eventId}/{txnId},
// GET /rooms/{roomId}/event/{eventId}; GET /rooms/{roomId}/initialSync ("Room Previews", the
// snapshot of a room that clients now use only to peek into readable rooms) and the deprecated
// GET /initialSync, the snapshot of all the user's rooms that /sync replaced.
#include "api/client/reader.h"
#include "api/handlers.h"
#include "homeserver/sync/sync.h"

namespace myelin::api {
namespace {

// Answers {event_id} for a sent event.
void reply_sent(Call& call, const core::Result<homeserver::Sent>& sent) {
  if (!sent) return call.fail(sent.error());
  call.reply(json::object{{"event_id", sent->event_id}});
}

// One room of an initialSync answer.
json::object room_snapshot_json(homeserver::RoomSnapshot room) {
  json::object out{{"room_id", room.room_id}};
  if (!room.membership.empty()) out["membership"] = room.membership;
  if (room.invite) {
    out["invite"] = std::move(*room.invite);
    return out;
  }
  out["messages"] = {{"chunk", std::move(room.chunk)},
                     {"start", homeserver::stream_token(room.start)},
                     {"end", homeserver::stream_token(room.end)}};
  out["state"] = std::move(room.state);
  out["account_data"] = std::move(room.account_data);
  out["visibility"] = room.published ? "public" : "private";
  return out;
}

// The state key of a state route: "" when the path has none.
std::string state_key(const Call& call) { return call.request.params.size() > 2 ? call.param(2) : ""; }

}  // namespace

void put_send(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto body = call.body();
  if (!body) return call.fail(body.error());
  reply_sent(call, call.hs.event_sender.send(call.user().user_id, *room_id, call.param(1), std::move(*body),
                                             call.transaction()));
}

void put_state(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto body = call.body();
  if (!body) return call.fail(body.error());
  reply_sent(call, call.hs.event_sender.send_state(call.user().user_id, *room_id, call.param(1), state_key(call),
                                                   std::move(*body), call.transaction()));
}

void put_redact(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto event_id = call.event_id_param(1);
  if (!event_id) return call.fail(event_id.error());
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto reason = optional_string(*body, "reason");
  if (!reason) return call.fail(reason.error());
  reply_sent(call, call.hs.event_sender.redact(call.user().user_id, *room_id, *event_id, *reason, call.transaction()));
}

void get_state_event(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto event = call.hs.room_reader.state_event(reader(call), *room_id, call.param(1), state_key(call));
  if (!event) return call.fail(event.error());
  auto format = call.request.query_param("format");
  if (format && *format == "event") return call.reply(*event);
  call.reply((*event)["content"]);
}

void get_state(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto state = call.hs.room_reader.state(reader(call), *room_id);
  if (!state) return call.fail(state.error());
  call.reply(*state);
}

void get_event(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto event_id = call.event_id_param(1);
  if (!event_id) return call.fail(event_id.error());
  auto event = call.hs.room_reader.event(reader(call), *room_id, *event_id);
  if (!event) return call.fail(event.error());
  call.reply(*event);
}

void get_room_initial_sync(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto limit = int_query_param(call.request, "limit", 10);
  if (!limit) return call.fail(limit.error());
  auto room = call.hs.room_reader.snapshot(reader(call), *room_id, *limit);
  if (!room) return call.fail(room.error());
  json::object response = room_snapshot_json(std::move(*room));
  // Synapse's field, which clients of this endpoint expect; presence reaches clients through /sync.
  response["presence"] = json::array{};
  call.reply(response);
}

void get_initial_sync(Call& call) {
  auto limit = int_query_param(call.request, "limit", 10);
  if (!limit) return call.fail(limit.error());
  const auto archived = call.request.query_param("archived");
  if (archived && *archived != "true" && *archived != "false")
    return call.fail(core::make_error(core::Errc::kInvalidParam, "archived must be true or false"));
  auto snapshot = call.hs.room_reader.snapshot_all(reader(call), *limit, archived == "true");
  json::array rooms;
  for (auto& room : snapshot.rooms) rooms.push_back(room_snapshot_json(std::move(room)));
  call.reply(json::object{
      {"end", homeserver::stream_token(snapshot.end)},
      {"rooms", std::move(rooms)},
      {"presence", homeserver::legacy_presence(call.hs.presence.events_since(call.user().user_id.str(), 0))},
      {"account_data", std::move(snapshot.account_data)}});
}

}  // namespace myelin::api
