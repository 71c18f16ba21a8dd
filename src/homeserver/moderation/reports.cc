#include "homeserver/moderation/reports.h"

#include "core/clock.h"
#include "core/ids.h"

namespace myelin::homeserver {

using core::Errc;

core::Status Reports::report_event(const core::UserId& reporter, const core::RoomId& room_id,
                                   const core::EventId& event_id, const std::string& reason,
                                   std::optional<std::int64_t> score) {
  // v1.8: the reporter must currently be joined. Not joined, unknown room and unknown event
  // all get the same answer, so the endpoint reveals nothing to non-members.
  std::shared_ptr<const RoomState> room = rooms_.room(room_id);
  auto event = event_store_.event(event_id);
  if (!room || room->membership(reporter.str()) != "join" || !event || event->room_id != room_id)
    return core::fail(Errc::kNotFound, "The event was not found or you are not joined to the room");
  return add({room_id, event_id, reporter, reason, score, core::now_ms()});
}

core::Status Reports::report_room(const core::UserId& reporter, const core::RoomId& room_id,
                                  const std::string& reason) {
  // v1.13: room reports MUST NOT require membership (rooms can be seen from outside).
  if (!event_store_.room(room_id)) return core::fail(Errc::kNotFound, "The room was not found");
  return add({room_id, "", reporter, reason, std::nullopt, core::now_ms()});
}

// PRIVACY: the answer is the same whether or not the user exists (the spec's MAY), so the
// endpoint reveals no accounts.
core::Status Reports::report_user(const std::string& reporter, const std::string& user_id, const std::string& reason) {
  auto target = core::UserId::parse(user_id);
  if (!target) return core::fail(Errc::kInvalidParam, "Invalid user ID");
  const bool known = target->server() != config_.server_name || account_store_.user(user_id);
  return add({"", "", reporter, reason, std::nullopt, core::now_ms(), user_id}, known);
}

core::Status Reports::add(const storage::Report& report, bool keep) {
  if (report.reason.size() > kMaxReportReasonBytes)
    return core::fail(Errc::kTooLarge, "A reason is at most " + std::to_string(kMaxReportReasonBytes) + " bytes");
  if (auto ok = core::within_limit(store_.report_count(report.reporter) + 1, config_.reports_per_user, "reports"); !ok)
    return ok;
  if (keep) store_.add_report(report);
  return {};
}

}  // namespace myelin::homeserver
