// PUT /_matrix/federation/v1/send/{txnId}   — server-server-api "Transactions"
// Parsing, idempotency and the checks of each PDU are homeserver::Receiver's; it answers once
// every PDU of the transaction is done (key fetches and missing events may take a while).
#include "api/handlers.h"

namespace myelin::api {

void put_federation_send(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.hs.federation_receiver.receive(call.origin(), call.param(0), json::value(std::move(*body)),
                                      [call](const core::Result<json::object>& answer) { call.answer(answer); });
}

}  // namespace myelin::api
