// GET /_matrix/client/v3/sync ("Syncing"), the filter endpoints POST /user/{userId}/filter,
// GET /user/{userId}/filter/{filterId} ("Filtering"), and the deprecated event stream
// GET /events (its `room_id` form is "Room Previews"). A user keeps at most
// limits.filters_per_user filters, the least recently used going first.
#include "core/clock.h"
#include "api/handlers.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "homeserver/timeline/filter.h"
#include "homeserver/sync/sync.h"

namespace myelin::api {
namespace {

using core::Errc;

// A stored filter's largest canonical JSON (a client's is well under 2 KiB; this leaves room
// for long lists of rooms or senders).
constexpr std::size_t kMaxFilterBytes = 65536;

// A filter given inline (JSON starting with '{') or as the ID of a stored one.
core::Result<homeserver::Filter> sync_filter(Call& call) {
  auto text = call.request.query_param("filter");
  if (!text) return homeserver::Filter{};
  std::optional<std::string> definition;
  if (text->starts_with("{")) {
    definition = *text;
  } else {
    try {
      definition = call.hs.store.filter(call.user().user_id, std::stoll(*text), core::now_ms());
    } catch (const std::exception&) {
    }
    if (!definition) return core::fail(Errc::kNotFound, "Unknown filter");
  }
  auto parsed = core::parse_json_object(*definition);
  if (!parsed) return core::fail(Errc::kBadJson, "Filter is not a JSON object");
  return homeserver::Filter::parse(*parsed);
}

}  // namespace

void get_sync(Call& call) {
  homeserver::SyncRequest request;
  request.session = call.user();
  if (auto since = token_query_param(call.request, "since")) {
    auto token = homeserver::parse_sync_token(*since);
    if (!token) return call.fail(core::make_error(Errc::kInvalidParam, "Invalid since token"));
    request.since = *token;
  }
  if (auto full_state = call.request.query_param("full_state")) request.full_state = *full_state == "true";
  if (auto state_after = call.request.query_param("use_state_after"))
    request.use_state_after = *state_after == "true";
  auto timeout = int_query_param(call.request, "timeout", 0);
  if (!timeout) return call.fail(timeout.error());
  request.timeout_ms = std::max<std::int64_t>(0, *timeout);
  if (auto set_presence = call.request.query_param("set_presence")) {
    if (*set_presence != "online" && *set_presence != "offline" && *set_presence != "unavailable")
      return call.fail(core::make_error(Errc::kInvalidParam, "Invalid set_presence"));
    request.set_presence = *set_presence;
  }
  auto filter = sync_filter(call);
  if (!filter) return call.fail(filter.error());
  request.filter = std::move(*filter);
  call.hs.sync.sync(std::move(request), [respond = call.respond](json::object body) {
    respond(json_response(body));
  });
}

void get_events(Call& call) {
  auto from = stream_token_param(call.request, "from");   // absent or empty: from now
  if (!from) return call.fail(from.error());
  std::string room_id;
  if (auto text = call.request.query_param("room_id")) {
    if (!core::RoomId::parse(*text)) return call.fail(core::make_error(Errc::kInvalidParam, "Invalid room_id"));
    room_id = *text;
  }
  auto timeout = int_query_param(call.request, "timeout", 0);
  if (!timeout) return call.fail(timeout.error());
  call.hs.sync.events(call.user(), from->value_or(call.hs.store.current_pos()), room_id, std::max<std::int64_t>(0, *timeout),
                      [respond = call.respond](json::object body) { respond(json_response(body)); });
}

void post_filter(Call& call) {
  if (call.param(0) != call.user().user_id)
    return call.fail(core::make_error(Errc::kForbidden, "Cannot create filters for other users"));
  auto body = call.body();
  if (!body) return call.fail(body.error());
  if (auto valid = homeserver::Filter::parse(*body); !valid) return call.fail(valid.error());
  // Clients post the same filter at every start: an identical one (as canonical JSON) is kept once.
  std::string canonical = core::canonical_json(*body);
  if (canonical.size() > kMaxFilterBytes)
    return call.fail(core::make_error(Errc::kTooLarge, "A filter is at most " + std::to_string(kMaxFilterBytes) + " bytes"));
  std::int64_t id = call.hs.store.add_filter(call.user().user_id, canonical, core::sha256(canonical),
                                             core::now_ms(), call.hs.options.timeline.filters_per_user);
  call.reply(json::object{{"filter_id", std::to_string(id)}});
}

void get_filter(Call& call) {
  if (call.param(0) != call.user().user_id)
    return call.fail(core::make_error(Errc::kForbidden, "Cannot read filters of other users"));
  std::optional<std::string> definition;
  try {
    definition = call.hs.store.filter(call.user().user_id, std::stoll(call.param(1)), core::now_ms());
  } catch (const std::exception&) {
  }
  if (!definition) return call.fail(core::make_error(Errc::kNotFound, "Unknown filter"));
  auto parsed = core::parse_json(*definition);
  if (!parsed) return call.fail(core::make_error(Errc::kInternal, "Stored filter is not JSON"));
  call.reply(*parsed);
}

}  // namespace myelin::api
