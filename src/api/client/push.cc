// Pushers and notifications (client-server-api "Push Notifications"):
// GET /pushers, POST /pushers/set (homeserver/push/pushers.h), GET /notifications
// (homeserver/push/notifications.h).
#include "api/handlers.h"

namespace myelin::api {

void get_pushers(Call& call) { call.reply(call.hs.pushers.list(call.user().user_id)); }

void post_pushers_set(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.answer(call.hs.pushers.set(call.user().user_id, call.user().device_id, *body));
}

void get_notifications(Call& call) {
  const auto& query = call.request;
  call.answer(call.hs.notifications.list(call.user().user_id, query.query_param("from"), query.query_param("limit"),
                                         query.query_param("only")));
}

}  // namespace myelin::api
