// PUT /_matrix/client/v3/sendToDevice/{eventType}/{txnId} (client-server-api "Send-to-Device
// messaging"). Delivery happens in /sync.
#include "api/handlers.h"

namespace myelin::api {

void put_send_to_device(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  if (auto sent = call.hs.to_device.send(call.user(), call.param(0), *call.transaction(), *body); !sent)
    return call.fail(sent.error());
  call.reply(json::object{});
}

}  // namespace myelin::api
