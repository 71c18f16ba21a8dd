// GET /_matrix/client/v3/sync ("Syncing"), the filter endpoints POST /user/{userId}/filter,
// GET /user/{userId}/filter/{filterId} ("Filtering"), and the deprecated event stream
// GET /events (its `room_id` form is "Room Previews"). A user keeps at most
// limits.filters_per_user filters, the least recently used going first (homeserver::Filters).
#include "homeserver/sync/sync.h"
#include "api/handlers.h"
#include "core/ids.h"

namespace myelin::api {

using core::Errc;

void get_sync(Call& call) {
  homeserver::SyncRequest request{call.user()};
  if (auto since = token_query_param(call.request, "since")) {
    auto token = homeserver::parse_sync_token(*since);
    if (!token) return call.fail(core::make_error(Errc::kInvalidParam, "Invalid since token"));
    request.since = *token;
  }
  if (auto full_state = call.request.query_param("full_state")) request.full_state = *full_state == "true";
  if (auto state_after = call.request.query_param("use_state_after")) request.use_state_after = *state_after == "true";
  auto timeout = int_query_param(call.request, "timeout", 0);
  if (!timeout) return call.fail(timeout.error());
  request.timeout_ms = std::max<std::int64_t>(0, *timeout);
  if (auto set_presence = call.request.query_param("set_presence")) {
    if (*set_presence != "online" && *set_presence != "offline" && *set_presence != "unavailable")
      return call.fail(core::make_error(Errc::kInvalidParam, "Invalid set_presence"));
    request.set_presence = *set_presence;
  }
  auto filter = call.hs.filters.for_sync(call.user().user_id, call.request.query_param("filter"));
  if (!filter) return call.fail(filter.error());
  request.filter = std::move(*filter);
  call.hs.sync.sync(std::move(request), [respond = call.respond](json::object body) { respond(json_response(body)); });
}

void get_events(Call& call) {
  auto from = stream_token_param(call.request, "from");  // absent or empty: from now
  if (!from) return call.fail(from.error());
  std::optional<core::RoomId> room_id;
  if (auto text = call.request.query_param("room_id")) {
    room_id = core::RoomId::parse(*text);
    if (!room_id) return call.fail(core::make_error(Errc::kInvalidParam, "Invalid room_id"));
  }
  auto timeout = int_query_param(call.request, "timeout", 0);
  if (!timeout) return call.fail(timeout.error());
  call.hs.sync.events(call.user(), *from, room_id, std::max<std::int64_t>(0, *timeout),
                      [respond = call.respond](json::object body) { respond(json_response(body)); });
}

void post_filter(Call& call) {
  if (call.param(0) != call.user().user_id)
    return call.fail(core::make_error(Errc::kForbidden, "Cannot create filters for other users"));
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto id = call.hs.filters.create(call.user().user_id, *body);
  if (!id) return call.fail(id.error());
  call.reply(json::object{{"filter_id", *id}});
}

void get_filter(Call& call) {
  if (call.param(0) != call.user().user_id)
    return call.fail(core::make_error(Errc::kForbidden, "Cannot read filters of other users"));
  auto definition = call.hs.filters.definition(call.user().user_id, call.param(1));
  if (!definition) return call.fail(definition.error());
  call.reply(*definition);
}

}  // namespace myelin::api
