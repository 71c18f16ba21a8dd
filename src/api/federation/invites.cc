// PUT /_matrix/federation/v1/invite/{roomId}/{eventId} (deprecated: rooms of version 1 or 2,
// the event as the body, the answer wrapped in [200, {...}])
// PUT /_matrix/federation/v2/invite/{roomId}/{eventId}
// server-server-api "Inviting to a room"; the checks are homeserver::FederationInvites'.
// PUT /_matrix/federation/v1/3pid/onbind ("Third-party invites"; POST too, as identity servers
// such as Sydent send it): homeserver::RoomService::accept_third_party_invites.
#include "api/handlers.h"

namespace myelin::api {

void put_federation_invite_v1(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.hs.federation_invites.receive_v1(call.origin(), call.param(0), call.param(1), std::move(*body),
                                        [respond = call.respond](const core::Result<json::object>& answer) {
                                          if (!answer) return respond(error_response(answer.error()));
                                          respond(json_response(json::array{200, *answer}));
                                        });
}

void put_federation_invite(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.hs.federation_invites.receive(call.origin(), call.param(0), call.param(1), std::move(*body),
                                     [respond = call.respond](const core::Result<json::object>& answer) {
                                       if (!answer) return respond(error_response(answer.error()));
                                       respond(json_response(*answer));
                                     });
}

void put_3pid_onbind(Call& call) {
  // From an identity server, not a homeserver: unauthenticated, and of use only for the
  // invites our users stored at one.
  if (!call.hs.identity_servers.enabled())
    return call.fail(core::make_error(core::Errc::kForbidden, "This server does not use identity servers"));
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.hs.rooms.accept_third_party_invites(
      *body,
      [&identity = call.hs.identity_servers](const std::string& url, const std::string& key,
                                             std::function<void(bool)> done) {
        identity.key_valid(url, key, std::move(done));
      },
      [call](core::Status made) {
        if (!made) return call.fail(made.error());
        call.reply(json::object{});
      });
}

}  // namespace myelin::api
