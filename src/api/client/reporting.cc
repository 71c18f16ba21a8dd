// POST /_matrix/client/v3/rooms/{roomId}/report/{eventId} — client-server-api "Reporting Content"
// POST /_matrix/client/v3/rooms/{roomId}/report
// POST /_matrix/client/v3/users/{userId}/report
// Reports are kept for the server's administrators (homeserver/moderation/reports.h).
#include <optional>
#include <string>

#include "api/handlers.h"

namespace myelin::api {
namespace {

using core::Errc;

}  // namespace

void post_report_event(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto event_id = call.event_id_param(1);
  if (!event_id) return call.fail(event_id.error());
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto reason = optional_string(*body, "reason");
  if (!reason) return call.fail(reason.error());
  std::optional<std::int64_t> score;
  if (auto value = body->if_contains("score"); value && !value->is_null()) {
    if (!value->is_int64()) return call.fail(core::make_error(Errc::kBadJson, "score must be an integer"));
    score = value->get_int64();
  }
  call.answer(call.hs.reports.report_event(call.user().user_id, *room_id, *event_id, reason->value_or(""), score));
}

void post_report_room(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto reason = required_string(*body, "reason");
  if (!reason) return call.fail(reason.error());
  call.answer(call.hs.reports.report_room(call.user().user_id, *room_id, *reason));
}

void post_report_user(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto reason = required_string(*body, "reason");
  if (!reason) return call.fail(reason.error());
  call.answer(call.hs.reports.report_user(call.user().user_id, call.param(0), *reason));
}

}  // namespace myelin::api
