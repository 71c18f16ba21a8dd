#include "homeserver/push/notifications.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "homeserver/push/push_delivery.h"
#include "homeserver/push/push_evaluator.h"
#include "homeserver/timeline/client_format.h"
#include "homeserver/timeline/ignored_users.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

std::optional<std::int64_t> number(const std::string& text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

struct Found {
  storage::StoredEvent event;
  json::array actions;
  bool read = false;
};

}  // namespace

core::Result<json::object> Notifications::list(const std::string& user_id, const std::optional<std::string>& from,
                                               const std::optional<std::string>& limit_text,
                                               const std::optional<std::string>& only) {
  storage::StreamPos upper = std::numeric_limits<storage::StreamPos>::max();
  if (from) {
    auto pos = number(*from);
    if (!pos) return core::fail(Errc::kInvalidParam, "from is not a token of this endpoint");
    upper = *pos - 1;
  }
  std::size_t limit = 20;
  if (limit_text) {
    auto value = number(*limit_text);
    if (!value) return core::fail(Errc::kInvalidParam, "limit must be a non-negative integer");
    limit = static_cast<std::size_t>(std::clamp<std::int64_t>(*value, 1, 100));
  }
  if (only && *only != "highlight") return core::fail(Errc::kInvalidParam, "only must be highlight");
  const bool highlights_only = only.has_value();

  const PushRuleset rules = rules_cache_.rules(user_data_, user_id);
  const IgnoredUsers ignored = ignored_users(user_data_, user_id);
  std::vector<Found> found;
  for (const storage::Membership& membership : store_.user_memberships(user_id)) {
    if (membership.membership != "join") continue;
    auto room = rooms_.room(membership.room_id);
    if (!room) continue;
    // Read when an unthreaded receipt or one of the main timeline is at or after it (a
    // notification of a thread read only by that thread's receipts shows as unread).
    storage::StreamPos read_up_to = membership.pos;
    for (const auto& [thread_id, pos] : user_data_.read_positions(membership.room_id, user_id))
      if (thread_id.empty() || thread_id == "main") read_up_to = std::max(read_up_to, pos);
    const PushContext context = push_context(*room, user_id, rules.user_placeholder);
    std::size_t in_room = 0;
    for (auto& event :
         store_.room_events(membership.room_id, membership.pos, upper, kScanPerRoom, storage::Direction::kBackward)) {
      if (event.sender == user_id || (ignored && ignored->contains(event.sender))) continue;
      auto pdu = core::parse_json_object(event.json);
      if (!pdu) continue;
      const PushResult result = evaluate_push_rules(*rules.rules, *pdu, context);
      if (!result.notify || (highlights_only && !result.highlight)) continue;
      const bool read = event.pos <= read_up_to;
      found.push_back({std::move(event), result.actions ? *result.actions : json::array(), read});
      if (++in_room == limit) break;
    }
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.event.pos > b.event.pos; });
  if (found.size() > limit) found.resize(limit);

  json::array notifications;
  for (const Found& item : found) {
    json::object event = client_event(store_, item.event);
    event.erase("room_id");
    notifications.push_back(json::object{{"actions", item.actions},
                                         {"event", std::move(event)},
                                         // Not required by the spec; null as Synapse sends it, which
                                         // clients and sytest expect (no device-specific rules exist).
                                         {"profile_tag", nullptr},
                                         {"read", item.read},
                                         {"room_id", item.event.room_id},
                                         {"ts", item.event.origin_server_ts}});
  }
  json::object out{{"notifications", std::move(notifications)}};
  if (found.size() == limit) out["next_token"] = std::to_string(found.back().event.pos);
  return out;
}

}  // namespace myelin::homeserver
