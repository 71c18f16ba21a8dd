// POST /_matrix/client/v3/user/{userId}/openid/request_token — client-server-api "OpenID"
// GET  /_matrix/federation/v1/openid/userinfo — server-server-api "OpenID": the one federation
//      endpoint that needs no server signature (the third party presents the token), served on
//      the client listener until federation has its own.
// The tokens are homeserver::OpenId's.
#include "api/handlers.h"

namespace myelin::api {

void post_openid_request_token(Call& call) {
  if (call.param(0) != call.user().user_id)
    return call.fail(core::make_error(core::Errc::kForbidden, "You can only request OpenID tokens for yourself"));
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto token = call.hs.openid.request_token(call.user().user_id);
  call.reply(json::object{{"access_token", token.access_token},
                          {"token_type", "Bearer"},
                          {"matrix_server_name", call.user().user_id.server()},
                          {"expires_in", token.expires_in_seconds}});
}

void get_openid_userinfo(Call& call) {
  auto token = call.request.query_param("access_token");
  if (!token) return call.fail(core::make_error(core::Errc::kUnknownToken, "Access token unknown or expired"));
  auto user = call.hs.openid.user_of(*token);
  if (!user) return call.fail(user.error());
  call.reply(json::object{{"sub", *user}});
}

}  // namespace myelin::api
