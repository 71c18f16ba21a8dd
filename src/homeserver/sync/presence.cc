#include "homeserver/sync/presence.h"
#include "core/clock.h"
#include "homeserver/timeline/shared_rooms.h"

#include <algorithm>
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
  std::set<std::string> servers;
  for (const auto& peer : announce(user_id)) {
    auto peer_id = core::UserId::parse(peer);
    if (peer_id && peer_id->server() != user_id.server()) servers.insert(std::string(peer_id->server()));
  }
  if (servers.empty()) return;
  json::object update = content(state);
  update["user_id"] = user_id.str();
  share_(servers, std::move(update));
}

void Presence::receive(const std::string& origin, const json::object& content) {
  if (!enabled()) return;
  const json::value* push = content.if_contains("push");
  if (!push || !push->is_array()) return;
  std::size_t taken = 0;
  for (const json::value& entry : push->get_array()) {
    if (++taken > kMaxUpdatesPerEdu) return;
    if (!entry.is_object()) continue;
    const json::object& update = entry.get_object();
    const json::value* user = update.if_contains("user_id");
    const json::value* presence = update.if_contains("presence");
    auto user_id = user && user->is_string() ? core::UserId::parse(user->get_string()) : std::nullopt;
    if (!user_id || user_id->server() != origin || origin == server_name_ || !presence || !presence->is_string())
      continue;
    const std::string_view value = presence->get_string();
    if (value != "online" && value != "unavailable" && value != "offline") continue;
    auto it = states_.find(user_id->str());
    if (it == states_.end()) {
      // Only for someone our users can see: a user who shares a room with one of them.
      const std::set<std::string> peers = rooms_.peers(user_id->str());
      const bool seen_here = std::ranges::any_of(peers, [&](const std::string& peer) {
        auto peer_id = core::UserId::parse(peer);
        return peer_id && peer_id->server() == server_name_;
      });
      if (!seen_here || remote_users_ >= kMaxRemoteUsers) continue;
      it = states_.emplace(user_id->str(), State{}).first;
      ++remote_users_;
    }
    State& state = it->second;
    state.presence = std::string(value);
    const json::value* status = update.if_contains("status_msg");
    state.status_msg =
        status && status->is_string() && status->get_string().size() <= kMaxStatusBytes ? status->get_string() : "";
    const json::value* ago = update.if_contains("last_active_ago");
    state.last_active_ts = ago && ago->is_int64() && ago->get_int64() >= 0 ? core::now_ms() - ago->get_int64() : 0;
    state.pos = store_.allocate_pos();
    announce(user_id->str());
  }
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
  // Whichever of the two is smaller is walked: a sync costs neither every user with a presence
  // nor every peer.
  if (peers.size() < states_.size()) {
    for (const auto& other : peers)
      if (auto it = states_.find(other); it != states_.end() && it->second.pos > since)
        events.push_back(event(other, it->second));
  } else {
    for (const auto& [other, state] : states_)
      if (state.pos > since && peers.contains(other)) events.push_back(event(other, state));
  }
  return events;
}

json::array Presence::unchanged_events(const std::vector<const RoomState*>& rooms, const std::string& viewer,
                                       storage::StreamPos since) const {
  constexpr std::size_t kMaxEvents = 1000;
  json::array events;
  if (!enabled() || rooms.empty()) return events;
  std::size_t members = 0;
  for (const RoomState* room : rooms) members += room->joined.size();
  auto take = [&](const std::string& user, const State& state) {
    if (user != viewer && state.pos <= since) events.push_back(event(user, state));
  };
  if (states_.size() < members) {
    for (const auto& [user, state] : states_) {
      if (events.size() == kMaxEvents) break;
      if (std::ranges::any_of(rooms, [&](const RoomState* room) { return room->joined.contains(user); }))
        take(user, state);
    }
    return events;
  }
  std::set<std::string_view> seen;
  for (const RoomState* room : rooms) {
    for (const auto& user : room->joined) {
      if (events.size() == kMaxEvents) return events;
      if (!seen.insert(user).second) continue;
      if (auto it = states_.find(user); it != states_.end()) take(user, it->second);
    }
  }
  return events;
}

std::set<std::string> Presence::announce(const std::string& user_id) {
  std::set<std::string> peers = rooms_.peers(user_id);
  for (const auto& peer : peers) notifier_.notify_user(peer);
  return peers;
}

json::array legacy_presence(json::array events) {
  for (auto& event : events) {
    json::object& object = event.as_object();
    if (const json::value* sender = object.if_contains("sender"); sender && object["content"].is_object())
      object["content"].as_object()["user_id"] = *sender;
  }
  return events;
}

}  // namespace myelin::homeserver
