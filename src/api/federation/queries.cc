// GET /_matrix/federation/v1/query/profile   — server-server-api "Querying for information"
// GET /_matrix/federation/v1/query/directory
// GET/POST /_matrix/federation/v1/publicRooms — "Public Room Directory" (include_all_networks
// and third_party_instance_id change nothing: this server bridges no other networks)
// What may be answered, and to whom, is homeserver::FederationQueries'.
#include "api/client/directory_query.h"
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

void get_federation_public_rooms(Call& call) {
  auto query = directory_query_params(call.request, true);
  if (!query) return call.fail(query.error());
  call.answer(call.hs.federation_queries.public_rooms(*query));
}

void post_federation_public_rooms(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto query = parse_directory_body(*body);
  if (!query) return call.fail(query.error());
  call.answer(call.hs.federation_queries.public_rooms(*query));
}

}  // namespace myelin::api
