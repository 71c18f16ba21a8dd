// GET /_matrix/federation/v1/make_join/{roomId}/{userId}
// PUT /_matrix/federation/v1/send_join/{roomId}/{eventId} (the legacy [200, {...}] answer)
// PUT /_matrix/federation/v2/send_join/{roomId}/{eventId}
// GET /_matrix/federation/v1/make_leave/{roomId}/{userId}
// PUT /_matrix/federation/v1/send_leave/{roomId}/{eventId} (the legacy [200, {}] answer)
// PUT /_matrix/federation/v2/send_leave/{roomId}/{eventId}
// GET /_matrix/federation/v1/make_knock/{roomId}/{userId}
// PUT /_matrix/federation/v1/send_knock/{roomId}/{eventId}
// server-server-api "Joining Rooms", "Leaving Rooms", "Knocking upon a room"; the checks are
// homeserver::FederationJoins'.
#include "api/handlers.h"

namespace myelin::api {
namespace {

void send_join(Call& call, bool v1) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  const auto omit = call.request.query_param("omit_members");
  if (omit && *omit != "true" && *omit != "false")
    return call.fail(core::make_error(core::Errc::kInvalidParam, "omit_members must be true or false"));
  call.hs.federation_joins.send_join(call.origin(), call.param(0), call.param(1), std::move(*body),
                                     !v1 && omit == "true",
                                     [respond = call.respond, v1](const core::Result<json::object>& answer) {
                                       if (!answer) return respond(error_response(answer.error()));
                                       respond(v1 ? json_response(json::array{200, *answer}) : json_response(*answer));
                                     });
}

void send_leave(Call& call, bool v1) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.hs.federation_joins.send_leave(
      call.origin(), call.param(0), call.param(1), std::move(*body),
      [respond = call.respond, v1](const core::Status& left) {
        if (!left) return respond(error_response(left.error()));
        respond(v1 ? json_response(json::array{200, json::object{}}) : json_response(json::object{}));
      });
}

}  // namespace

void get_federation_make_join(Call& call) {
  call.answer(call.hs.federation_joins.make_join(call.origin(), call.param(0), call.param(1),
                                                 call.request.query_params("ver")));
}

void put_federation_send_join_v1(Call& call) { send_join(call, true); }
void put_federation_send_join(Call& call) { send_join(call, false); }

void get_federation_make_leave(Call& call) {
  call.answer(call.hs.federation_joins.make_leave(call.origin(), call.param(0), call.param(1)));
}

void put_federation_send_leave_v1(Call& call) { send_leave(call, true); }
void put_federation_send_leave(Call& call) { send_leave(call, false); }

void get_federation_make_knock(Call& call) {
  call.answer(call.hs.federation_joins.make_knock(call.origin(), call.param(0), call.param(1),
                                                  call.request.query_params("ver")));
}

void put_federation_send_knock(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.hs.federation_joins.send_knock(call.origin(), call.param(0), call.param(1), std::move(*body),
                                      [respond = call.respond](const core::Result<json::object>& answer) {
                                        respond(answer ? json_response(*answer) : error_response(answer.error()));
                                      });
}

}  // namespace myelin::api
