// AuthChains: the room's auth graph as integers, read from the PDUs once.
#include "rooms/state_res.h"
#include "rooms/state_res_steps.h"

namespace myelin::rooms {

AuthChains::Id AuthChains::add(std::string_view event_id) {
  if (auto it = index_.find(event_id); it != index_.end()) return it->second;
  const Id id = static_cast<Id>(nodes_.size());
  nodes_.push_back(Node{std::string(event_id), {}, false});
  index_.emplace(nodes_.back().event_id, id);
  return id;
}

core::Status AuthChains::load(EventSource& source, Id id) {
  if (nodes_[id].loaded) return {};
  auto pdu = internal::get_event(source, nodes_[id].event_id);
  if (!pdu) return std::unexpected(pdu.error());
  std::vector<Id> auth;
  for (std::string_view auth_id : internal::referenced_ids(**pdu, "auth_events")) auth.push_back(add(auth_id));
  std::sort(auth.begin(), auth.end());
  auth.erase(std::unique(auth.begin(), auth.end()), auth.end());
  nodes_[id].auth = std::move(auth);
  nodes_[id].loaded = true;
  return {};
}

core::Result<AuthChains::Id> AuthChains::intern(EventSource& source, std::string_view event_id) {
  const Id id = add(event_id);
  if (auto loaded = load(source, id); !loaded) return std::unexpected(loaded.error());
  return id;
}

core::Status AuthChains::walk(EventSource& source, std::span<const Id> from, const std::function<bool(Id)>& enter) {
  std::vector<Id> stack(from.begin(), from.end());
  while (!stack.empty()) {
    const Id id = stack.back();
    stack.pop_back();
    if (auto loaded = load(source, id); !loaded) return loaded;
    for (Id auth : nodes_[id].auth) {
      if (enter(auth)) stack.push_back(auth);
    }
  }
  return {};
}

}  // namespace myelin::rooms
