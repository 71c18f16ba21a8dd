// GET /_matrix/client/v3/rooms/{roomId}/messages ("Getting events for a room": pagination in
// both directions, with a RoomEventFilter) and GET /rooms/{roomId}/context/{eventId}.
// Tokens are stream tokens (homeserver/sync/sync_token.h; "h<n>" for a position in backfilled
// history): backwards from T returns events at positions <= T, forwards from T returns
// positions > T. The reading is RoomReader's, which back-fills from other servers when a
// backwards page reaches the start of the room's local history (so the answer may come later).
#include "api/client/reader.h"
#include "api/handlers.h"
#include "homeserver/sync/sync.h"
#include "homeserver/timeline/filter.h"

namespace myelin::api {
namespace {

using core::Errc;

core::Result<homeserver::EventFilter> filter_param(const http::Request& request) {
  auto text = request.query_param("filter");
  if (!text) return homeserver::EventFilter{};
  auto parsed = core::parse_json_object(*text);
  if (!parsed) return std::unexpected(parsed.error());
  return homeserver::parse_event_filter(*parsed, 10);
}

}  // namespace

void get_messages(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto dir = call.request.query_param("dir");
  if (!dir || (*dir != "b" && *dir != "f"))
    return call.fail(core::make_error(Errc::kInvalidParam, "dir must be b or f"));
  auto from = stream_token_param(call.request, "from", true);
  auto to = stream_token_param(call.request, "to", true);
  auto filter = filter_param(call.request);
  if (!from) return call.fail(from.error());
  if (!to) return call.fail(to.error());
  if (!filter) return call.fail(filter.error());
  auto limit = int_query_param(call.request, "limit", 10);
  if (!limit) return call.fail(limit.error());
  call.hs.room_reader.messages(
      reader(call), *room_id, {*dir == "b", *from, *to, *limit, *filter},
      [respond = call.respond](core::Result<homeserver::MessagesPage> page) {
        if (!page) return respond(error_response(page.error()));
        json::object response{{"start", homeserver::stream_token(page->start)}, {"chunk", std::move(page->chunk)}};
        if (page->end) response["end"] = homeserver::stream_token(*page->end);
        if (page->state) response["state"] = std::move(*page->state);
        respond(json_response(response));
      });
}

void get_context(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto event_id = call.event_id_param(1);
  if (!event_id) return call.fail(event_id.error());
  auto filter = filter_param(call.request);
  if (!filter) return call.fail(filter.error());
  auto limit = int_query_param(call.request, "limit", 10);
  if (!limit) return call.fail(limit.error());
  auto context = call.hs.room_reader.context(reader(call), *room_id, *event_id, *limit, *filter);
  if (!context) return call.fail(context.error());
  call.reply(json::object{{"event", std::move(context->event)},
                          {"events_before", std::move(context->before)},
                          {"events_after", std::move(context->after)},
                          {"start", homeserver::stream_token(context->start)},
                          {"end", homeserver::stream_token(context->end)},
                          {"state", std::move(context->state)}});
}

}  // namespace myelin::api
