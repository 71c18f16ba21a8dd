// GET /_matrix/client/v3/voip/turnServer — client-server-api "Voice over IP" (server behaviour)
// The spec's 200 response requires username, password, uris and ttl, so a server without a
// TURN server cannot answer 200: it answers 404 M_NOT_FOUND (as MSC4166 proposes; clients treat
// any failure as "no TURN server" and call peer to peer).
#include "api/handlers.h"

namespace myelin::api {

void get_turn_server(Call& call) {
  auto body = call.hs.voip.turn_server(call.user().user_id);
  if (!body) return call.fail(core::make_error(core::Errc::kNotFound, "No TURN server is configured"));
  call.reply(*body);
}

}  // namespace myelin::api
