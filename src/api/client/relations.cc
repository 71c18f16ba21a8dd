// GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]
//   — client-server-api "Relationships API" (dir, from, to, limit, recurse)
// GET /_matrix/client/v1/rooms/{roomId}/threads — "Querying threads in a room" (include, from, limit)
// Tokens are stream tokens (homeserver/sync/sync_token.h), so /messages' and /sync's work too.
// The reading is RelationReader's.
#include "api/client/reader.h"
#include "api/handlers.h"
#include "homeserver/sync/sync.h"

namespace myelin::api {
namespace {

using core::Errc;

core::Result<std::optional<bool>> bool_query_param(const http::Request& request, std::string_view name) {
  auto text = request.query_param(name);
  if (!text) return std::nullopt;
  if (*text == "true") return true;
  if (*text == "false") return false;
  return core::fail(Errc::kInvalidParam, std::string(name) + " must be true or false");
}

}  // namespace

void get_relations(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto event_id = call.event_id_param(1);
  if (!event_id) return call.fail(event_id.error());
  homeserver::RelationsQuery query;
  if (call.request.params.size() > 2) query.rel_type = call.param(2);
  if (call.request.params.size() > 3) query.event_type = call.param(3);
  auto dir = call.request.query_param("dir");
  if (dir && *dir != "b" && *dir != "f") return call.fail(core::make_error(Errc::kInvalidParam, "dir must be b or f"));
  query.backwards = !dir || *dir == "b";
  auto from = stream_token_param(call.request, "from");
  auto to = stream_token_param(call.request, "to");
  auto limit = int_query_param(call.request, "limit", query.limit);
  auto recurse = bool_query_param(call.request, "recurse");
  if (!from) return call.fail(from.error());
  if (!to) return call.fail(to.error());
  if (!limit) return call.fail(limit.error());
  if (!recurse) return call.fail(recurse.error());
  query.from = *from;
  query.to = *to;
  query.limit = *limit;
  query.recurse = *recurse;
  auto page = call.hs.relations.relations(reader(call), *room_id, *event_id, query);
  if (!page) return call.fail(page.error());
  json::object response{{"chunk", std::move(page->chunk)}};
  if (page->next_batch) response["next_batch"] = homeserver::stream_token(*page->next_batch);
  if (page->prev_batch) response["prev_batch"] = homeserver::stream_token(*page->prev_batch);
  if (page->recursion_depth) response["recursion_depth"] = *page->recursion_depth;
  call.reply(response);
}

void get_threads(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  homeserver::ThreadsQuery query;
  auto include = call.request.query_param("include");
  if (include && *include != "all" && *include != "participated")
    return call.fail(core::make_error(Errc::kInvalidParam, "include must be all or participated"));
  query.participated = include && *include == "participated";
  auto from = stream_token_param(call.request, "from");
  auto limit = int_query_param(call.request, "limit", query.limit);
  if (!from) return call.fail(from.error());
  if (!limit) return call.fail(limit.error());
  if (*limit < 1) return call.fail(core::make_error(Errc::kInvalidParam, "limit must be greater than zero"));
  query.from = *from;
  query.limit = *limit;
  auto page = call.hs.relations.threads(reader(call), *room_id, query);
  if (!page) return call.fail(page.error());
  json::object response{{"chunk", std::move(page->chunk)}};
  if (page->next_batch) response["next_batch"] = homeserver::stream_token(*page->next_batch);
  call.reply(response);
}

}  // namespace myelin::api
