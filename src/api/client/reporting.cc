// POST /_matrix/client/v3/rooms/{roomId}/report/{eventId} — client-server-api "Reporting Content"
// POST /_matrix/client/v3/rooms/{roomId}/report
// POST /_matrix/client/v3/users/{userId}/report
// Reports are stored for the server's administrators, at most limits.reports_per_user from
// one reporter, each reason at most kMaxReasonBytes.
#include <optional>
#include <string>

#include "core/clock.h"
#include "api/handlers.h"
#include "core/ids.h"

namespace myelin::api {

using core::Errc;

namespace {

// The spec sets no length; this is a long paragraph, and keeps a report readable.
constexpr std::size_t kMaxReasonBytes = 4096;

// Stores the report if its reason fits and the reporter is within their bound; with `keep`
// false the same checks answer, but nothing is stored.
core::Status store_report(Call& call, storage::Report report, bool keep = true) {
  if (report.reason.size() > kMaxReasonBytes)
    return core::fail(Errc::kTooLarge, "A reason is at most " + std::to_string(kMaxReasonBytes) + " bytes");
  if (auto ok = core::within_limit(call.hs.store.report_count(report.reporter) + 1, call.hs.config.reports_per_user,
                                   "reports");
      !ok)
    return ok;
  if (keep) call.hs.store.add_report(report);
  return {};
}

}  // namespace

void post_report_event(Call& call) {
  const std::string& room_id = call.param(0);
  const std::string& event_id = call.param(1);
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto reason = optional_string(*body, "reason");
  if (!reason) return call.fail(reason.error());
  std::optional<std::int64_t> score;
  if (auto value = body->if_contains("score"); value && !value->is_null()) {
    if (!value->is_int64()) return call.fail(core::make_error(Errc::kBadJson, "score must be an integer"));
    score = value->get_int64();
  }
  // v1.8: the reporter must currently be joined. Not joined, unknown room and unknown event
  // all get the same answer, so the endpoint reveals nothing to non-members.
  const auto& user_id = call.user().user_id;
  const homeserver::RoomState* room = call.hs.timeline.room(room_id);
  auto event = call.hs.store.event(event_id);
  if (!room || room->membership(user_id) != "join" || !event || event->room_id != room_id)
    return call.fail(core::make_error(Errc::kNotFound, "The event was not found or you are not joined to the room"));
  if (auto stored = store_report(call, {room_id, event_id, user_id, reason->value_or(""), score, core::now_ms()});
      !stored)
    return call.fail(stored.error());
  call.reply(json::object{});
}

void post_report_room(Call& call) {
  const std::string& room_id = call.param(0);
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto reason = required_string(*body, "reason");
  if (!reason) return call.fail(reason.error());
  // v1.13: room reports MUST NOT require membership (rooms can be seen from outside).
  if (!call.hs.store.room(room_id)) return call.fail(core::make_error(Errc::kNotFound, "The room was not found"));
  if (auto stored = store_report(call, {room_id, "", call.user().user_id, *reason, std::nullopt, core::now_ms()});
      !stored)
    return call.fail(stored.error());
  call.reply(json::object{});
}

// v1.14. PRIVACY: the answer is the same whether or not the user exists (the spec's MAY), so
// the endpoint reveals no accounts; a report about an unknown local user is not kept. Users of
// other servers cannot be checked (no federation) and are kept.
void post_report_user(Call& call) {
  const std::string& user_id = call.param(0);
  auto target = core::UserId::parse(user_id);
  if (!target) return call.fail(core::make_error(Errc::kInvalidParam, "Invalid user ID"));
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto reason = required_string(*body, "reason");
  if (!reason) return call.fail(reason.error());
  const bool known = target->server() != call.hs.config.server_name || call.hs.store.user(user_id);
  if (auto stored = store_report(call, {"", "", call.user().user_id, *reason, std::nullopt, core::now_ms(), user_id},
                                 known);
      !stored)
    return call.fail(stored.error());
  call.reply(json::object{});
}

}  // namespace myelin::api
