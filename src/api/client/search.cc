// POST /_matrix/client/v3/search — client-server-api "Server Side Search"
// GET  /_matrix/client/v1/rooms/{roomId}/timestamp_to_event — client-server-api "Room
//      participation" (v1.6, jump to date)
// The request is parsed and the reading done by homeserver::RoomSearch; context tokens are
// stream tokens, as /context writes them.
#include "api/client/reader.h"
#include "api/handlers.h"
#include "homeserver/search/search_request.h"
#include "homeserver/sync/sync_token.h"

namespace myelin::api {
namespace {

using core::Errc;

json::object result_json(homeserver::SearchResult& result) {
  json::object out{{"rank", result.rank}, {"result", std::move(result.event)}};
  if (result.context) {
    json::object context{{"events_before", std::move(result.context->before)},
                         {"events_after", std::move(result.context->after)},
                         {"start", homeserver::stream_token(result.context->start)},
                         {"end", homeserver::stream_token(result.context->end)}};
    if (result.context->profile_info) context["profile_info"] = std::move(*result.context->profile_info);
    out["context"] = std::move(context);
  }
  return out;
}

}  // namespace

void post_search(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto next_batch = token_query_param(call.request, "next_batch");
  auto request = homeserver::parse_search_request(*body, next_batch);
  if (!request) return call.fail(request.error());
  if (!*request) return call.reply(json::object{{"search_categories", json::object{}}});
  auto found = call.hs.search.search(reader(call), **request);
  if (!found) return call.fail(found.error());
  json::array results;
  for (auto& result : found->results) results.push_back(result_json(result));
  json::array highlights;
  for (const auto& word : found->highlights) highlights.emplace_back(word);
  json::object room_events{
      {"count", found->count}, {"highlights", std::move(highlights)}, {"results", std::move(results)}};
  if (found->state) room_events["state"] = std::move(*found->state);
  if (found->groups) room_events["groups"] = std::move(*found->groups);
  if (found->next_batch) room_events["next_batch"] = *found->next_batch;
  call.reply(json::object{{"search_categories", json::object{{"room_events", std::move(room_events)}}}});
}

void get_timestamp_to_event(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto dir = call.request.query_param("dir");
  if (!dir || (*dir != "b" && *dir != "f"))
    return call.fail(core::make_error(Errc::kInvalidParam, "dir must be b or f"));
  if (!call.request.query_param("ts")) return call.fail(core::make_error(Errc::kMissingParam, "ts is required"));
  auto ts = int_query_param(call.request, "ts", 0);
  if (!ts) return call.fail(ts.error());
  auto found = call.hs.search.event_at(reader(call), *room_id, *ts,
                                       *dir == "f" ? storage::Direction::kForward : storage::Direction::kBackward);
  if (!found) return call.fail(found.error());
  call.reply(json::object{{"event_id", found->event_id}, {"origin_server_ts", found->origin_server_ts}});
}

}  // namespace myelin::api
