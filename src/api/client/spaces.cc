// GET /_matrix/client/v1/rooms/{roomId}/hierarchy — client-server-api "Spaces"
// The walk itself is homeserver/timeline/space_hierarchy.h.
#include "api/handlers.h"

namespace myelin::api {

using core::Errc;

void get_hierarchy(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  homeserver::HierarchyQuery query;
  if (call.request.query_param("limit")) {
    auto limit = int_query_param(call.request, "limit", 0);
    if (!limit) return call.fail(limit.error());
    if (auto ok = query.set_limit(*limit); !ok) return call.fail(ok.error());
  }
  if (call.request.query_param("max_depth")) {
    auto depth = int_query_param(call.request, "max_depth", 0);
    if (!depth) return call.fail(depth.error());
    if (auto ok = query.set_max_depth(*depth); !ok) return call.fail(ok.error());
  }
  if (auto suggested = call.request.query_param("suggested_only")) {
    if (*suggested != "true" && *suggested != "false")
      return call.fail(core::make_error(Errc::kInvalidParam, "suggested_only must be true or false"));
    query.suggested_only = *suggested == "true";
  }
  if (auto from = token_query_param(call.request, "from"))
    if (auto ok = query.set_from(*from); !ok) return call.fail(ok.error());
  call.answer(call.hs.spaces.hierarchy(call.user().user_id, *room_id, query));
}

}  // namespace myelin::api
