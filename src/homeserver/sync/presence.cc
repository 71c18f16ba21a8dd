#include "homeserver/sync/presence.h"
#include "core/clock.h"
#include "homeserver/timeline/shared_rooms.h"

#include <set>

namespace myelin::homeserver {

void Presence::set(const core::UserId& user_id, const std::string& presence,
                   const std::optional<std::string>& status_msg) {
  if (!enabled()) return;
  State& state = states_[user_id];
  state.presence = presence;
  if (status_msg) state.status_msg = *status_msg;
  if (presence == "online") state.last_active_ts = core::now_ms();
  state.pos = store_.allocate_pos();
  announce(user_id);
}

void Presence::on_sync(const core::UserId& user_id, const std::string& set_presence) {
  if (!enabled()) return;
  const std::string wanted = set_presence.empty() ? "online" : set_presence;
  auto it = states_.find(user_id);
  if (it != states_.end() && it->second.presence == wanted) {
    if (wanted == "online") it->second.last_active_ts = core::now_ms();
    return;
  }
  set(user_id, wanted, std::nullopt);
}

Presence::State Presence::get(const core::UserId& user_id) const {
  auto it = states_.find(user_id);
  return it == states_.end() || !config_.presence_enabled ? State{} : it->second;
}

core::Result<json::object> Presence::status(const core::UserId& viewer, const core::UserId& target) const {
  if (!share_a_room(event_store_, viewer, target))
    return core::fail(core::Errc::kForbidden, "You do not share a room with this user");
  return content(get(target));
}

json::object Presence::content(const State& state) {
  json::object content{{"presence", state.presence}};
  if (!state.status_msg.empty()) content["status_msg"] = state.status_msg;
  if (state.last_active_ts > 0) {
    content["last_active_ago"] = std::max<std::int64_t>(0, core::now_ms() - state.last_active_ts);
    content["currently_active"] = state.presence == "online";
  }
  return content;
}

json::object Presence::event(const std::string& user_id, const State& state) const {
  return json::object{{"type", "m.presence"}, {"sender", user_id}, {"content", content(state)}};
}

json::array Presence::events_since(const std::string& user_id, storage::StreamPos since) {
  json::array events;
  if (!enabled()) return events;
  const std::set<std::string> peers = rooms_.peers(user_id);
  for (const auto& [other, state] : states_)
    if (state.pos > since && peers.contains(other)) events.push_back(event(other, state));
  return events;
}

void Presence::announce(const std::string& user_id) {
  for (const auto& peer : rooms_.peers(user_id)) notifier_.notify_user(peer);
}

}  // namespace myelin::homeserver
