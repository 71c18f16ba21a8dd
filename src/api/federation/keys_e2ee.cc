// POST /_matrix/federation/v1/user/keys/query   — server-server-api "End-to-End Encryption"
// POST /_matrix/federation/v1/user/keys/claim
// GET  /_matrix/federation/v1/user/devices/{userId} — "Device Management"
// What is shown to other servers (never device display names) is homeserver::Keys'.
#include "api/handlers.h"

namespace myelin::api {

void post_federation_keys_query(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.answer(call.hs.keys.query_for_server(*body));
}

void post_federation_keys_claim(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.answer(call.hs.keys.claim_for_server(*body));
}

void get_federation_user_devices(Call& call) { call.answer(call.hs.keys.devices_for_server(call.param(0))); }

}  // namespace myelin::api
