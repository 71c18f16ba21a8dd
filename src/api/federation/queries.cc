// GET /_matrix/federation/v1/query/profile   — server-server-api "Querying for information"
// GET /_matrix/federation/v1/query/directory
// What may be answered, and to whom, is homeserver::FederationQueries'.
#include "api/handlers.h"

namespace myelin::api {

void get_federation_query_profile(Call& call) {
  auto user_id = call.request.query_param("user_id");
  if (!user_id) return call.fail(core::make_error(core::Errc::kMissingParam, "Missing user_id"));
  call.answer(call.hs.federation_queries.profile(call.origin(), *user_id, call.request.query_param("field")));
}

void get_federation_query_directory(Call& call) {
  auto alias = call.request.query_param("room_alias");
  if (!alias) return call.fail(core::make_error(core::Errc::kMissingParam, "Missing room_alias"));
  call.answer(call.hs.federation_queries.directory(*alias));
}

}  // namespace myelin::api
