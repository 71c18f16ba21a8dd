#pragma once
// Content reports (client-server-api "Reporting Content"): reports of an event, a room or a
// user, kept for the server's administrators (`myelin reports list`). One reporter keeps at
// most ModerationOptions::reports_per_user reports, each reason at most kMaxReportReasonBytes. What a
// report may reveal is the spec's: an event report needs the reporter joined to the room, a
// room report no membership (v1.13), and a user report answers the same whether or not the
// user exists (v1.14).
#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/ids.h"
#include "homeserver/moderation/options.h"
#include "homeserver/timeline/room_cache.h"
#include "storage/account_store.h"
#include "storage/event_store.h"
#include "storage/report_store.h"

namespace myelin::homeserver {

// The spec sets no length; this is a long paragraph, and keeps a report readable.
inline constexpr std::size_t kMaxReportReasonBytes = 4096;

class Reports {
 public:
  Reports(const ModerationOptions& config, storage::ReportStore& store, storage::EventStore& event_store,
          storage::AccountStore& account_store, RoomCache& rooms)
      : config_(config), store_(store), event_store_(event_store), account_store_(account_store), rooms_(rooms) {}

  // M_NOT_FOUND alike for an unknown room, an unknown event, an event of another room and a
  // reporter not joined to the room.
  core::Status report_event(const core::UserId& reporter, const core::RoomId& room_id, const core::EventId& event_id,
                            const std::string& reason, std::optional<std::int64_t> score);
  // M_NOT_FOUND for an unknown room.
  core::Status report_room(const core::UserId& reporter, const core::RoomId& room_id, const std::string& reason);
  // M_INVALID_PARAM for an invalid user ID. A report about an unknown local user is checked
  // but not kept; users of other servers cannot be checked (no federation) and are kept.
  core::Status report_user(const std::string& reporter, const std::string& user_id, const std::string& reason);

 private:
  // Keeps the report (unless `keep` is false) if its reason fits and the reporter is within
  // their bound: 413 M_TOO_LARGE, 403 M_FORBIDDEN otherwise.
  core::Status add(const storage::Report& report, bool keep = true);

  const ModerationOptions& config_;
  storage::ReportStore& store_;
  storage::EventStore& event_store_;
  storage::AccountStore& account_store_;
  RoomCache& rooms_;
};

}  // namespace myelin::homeserver
