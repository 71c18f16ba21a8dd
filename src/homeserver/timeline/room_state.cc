#include "homeserver/timeline/room_state.h"

#include <algorithm>

namespace myelin::homeserver {

std::string_view string_field(const json::object& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || !it->value().is_string()) return {};
  return it->value().get_string();
}

std::string_view server_of_user(std::string_view user_id) {
  const std::size_t colon = user_id.find(':');
  return colon == std::string_view::npos ? std::string_view() : user_id.substr(colon + 1);
}

void RoomState::set_membership(const std::string& user_id, std::string_view membership) {
  if (joined.erase(user_id)) {
    auto server = joined_servers.find(server_of_user(user_id));
    if (server != joined_servers.end() && --server->second == 0) joined_servers.erase(server);
  }
  invited.erase(user_id);
  if (membership == "join") {
    joined.insert(user_id);
    ++joined_servers[std::string(server_of_user(user_id))];
  }
  if (membership == "invite") invited.insert(user_id);
}

storage::StateMap state_before(storage::EventStore& store, const storage::StoredEvent& event) {
  storage::StateMap state = store.state_group(event.state_group);
  if (event.state_key) {
    storage::StateKey key{event.type, *event.state_key};
    if (event.replaces_state) state[key] = *event.replaces_state;
    else state.erase(key);
  }
  return state;
}

const StateEntry* RoomState::find(std::string_view type, std::string_view state_key) const {
  auto it = state.find(storage::StateKey(type, state_key));
  return it == state.end() ? nullptr : &it->second;
}

const json::object* RoomState::pdu(std::string_view type, std::string_view state_key) const {
  const StateEntry* entry = find(type, state_key);
  return entry ? entry->pdu.get() : nullptr;
}

const json::object* RoomState::content(std::string_view type, std::string_view state_key) const {
  const json::object* event = pdu(type, state_key);
  if (!event) return nullptr;
  auto it = event->find("content");
  return it != event->end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}

void RoomState::log_member_change(storage::StreamPos pos, const std::string& user_id) {
  constexpr std::size_t kMemberLog = 256;
  member_log.emplace_back(pos, user_id);
  if (member_log.size() > kMemberLog) {
    member_log_from = member_log.front().first;
    member_log.pop_front();
  }
}

void RoomState::members_changed(storage::StreamPos since, storage::StreamPos upto,
                                const std::function<void(const std::string&)>& visit) const {
  if (since >= member_log_from) {
    for (auto it = member_log.rbegin(); it != member_log.rend() && it->first > since; ++it)
      if (it->first <= upto) visit(it->second);
    return;
  }
  for (auto it = state.lower_bound({"m.room.member", ""}); it != state.end() && it->first.first == "m.room.member";
       ++it)
    if (it->second.pos > since && it->second.pos <= upto) visit(it->first.second);
}

std::string RoomState::membership(std::string_view user_id) const {
  const json::object* member = content("m.room.member", user_id);
  return member ? std::string(string_field(*member, "membership")) : std::string();
}

void RoomState::apply(const storage::NewEvent& row, const json::object& pdu, const storage::Persisted& at) {
  if (row.state_key) {
    state[{row.type, *row.state_key}] = StateEntry{row.event_id, at.pos, std::make_shared<const json::object>(pdu)};
    if (row.type == "m.room.member") {
      set_membership(*row.state_key, membership(*row.state_key));
      log_member_change(at.pos, *row.state_key);
    }
  }
  if (row.redaction) {  // a redacted current state event counts with its content stripped
    auto redacted = core::parse_json_object(row.redaction->second);
    if (redacted && redacted->contains("state_key")) {
      auto it =
          state.find({std::string(string_field(*redacted, "type")), std::string(string_field(*redacted, "state_key"))});
      if (it != state.end() && it->second.event_id == row.redaction->first)
        it->second.pdu = std::make_shared<const json::object>(std::move(*redacted));
    }
  }
  std::erase_if(extremities, [&row](const storage::Extremity& extremity) {
    return std::ranges::find(row.prev_events, extremity.event_id) != row.prev_events.end();
  });
  extremities.push_back(storage::Extremity{row.event_id, row.depth});
  state_group = at.state_group;
  last_pos = at.pos;
}

}  // namespace myelin::homeserver
