// POST /_matrix/client/v3/user_directory/search (client-server-api "User directory").
// Who is found is homeserver::UserDirectory's (privacy: by default only users who share a room).
#include "api/handlers.h"

namespace myelin::api {

void post_user_directory_search(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto term = required_string(*body, "search_term");
  auto limit = optional_int(*body, "limit");
  if (!term) return call.fail(term.error());
  if (!limit) return call.fail(limit.error());
  auto found = call.hs.user_directory.search(call.user().user_id, *term, limit->value_or(10));
  call.reply(json::object{{"results", std::move(found.results)}, {"limited", found.limited}});
}

// GET /_matrix/client/v3/thirdparty/protocols: no application services bridge anything here.
void get_thirdparty_protocols(Call& call) { call.reply(json::object{}); }

}  // namespace myelin::api
