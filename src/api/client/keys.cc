// POST /_matrix/client/v3/keys/upload, keys/query, keys/claim; GET keys/changes;
// POST keys/device_signing/upload, keys/signatures/upload
// (client-server-api "End-to-End Encryption", "Cross-signing").
#include "api/client/password_uia.h"
#include "api/handlers.h"
#include "homeserver/sync/sync.h"

namespace myelin::api {
namespace {

using core::Errc;

// Runs a Keys operation on the body and answers with its result.
template <class Operation>
void with_body(Call& call, Operation operation) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto result = operation(*body);
  if (!result) return call.fail(result.error());
  call.reply(*result);
}

}  // namespace

void post_keys_upload(Call& call) {
  with_body(call, [&](const json::object& body) { return call.hs.keys.upload(call.user(), body); });
}

void post_keys_query(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.hs.keys.query(call.user(), *body, [call](core::Result<json::object> result) { call.answer(result); });
}

void post_keys_claim(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.hs.keys.claim(*body, [call](core::Result<json::object> result) { call.answer(result); });
}

void get_keys_changes(Call& call) {
  auto from = call.request.query_param("from");
  auto to = call.request.query_param("to");
  if (!from || !to) return call.fail(core::make_error(Errc::kMissingParam, "from and to are required"));
  auto from_token = homeserver::parse_sync_token(*from);
  auto to_token = homeserver::parse_sync_token(*to);
  if (!from_token || !to_token) return call.fail(core::make_error(Errc::kInvalidParam, "Invalid from or to token"));
  call.reply(call.hs.device_lists.key_changes(call.user().user_id, from_token->pos, to_token->pos));
}

void post_device_signing_upload(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto upload = call.hs.keys.check_cross_signing(call.user(), *body);
  if (!upload) return call.fail(upload.error());
  auto store = [upload = std::move(*upload)](Call& call) {
    call.hs.keys.store_cross_signing(call.user(), upload);
    call.reply(json::object{});
  };
  if (!upload->needs_auth) return store(call);
  with_password_uia(call, *body, std::move(store));
}

void post_signatures_upload(Call& call) {
  with_body(call, [&](const json::object& body) { return call.hs.keys.upload_signatures(call.user(), body); });
}

}  // namespace myelin::api
