#include "homeserver/federation/resolution.h"

namespace myelin::homeserver {

const json::object* StoredEvents::event(std::string_view event_id) {
  if (auto it = events_.find(event_id); it != events_.end()) return &it->second;
  auto stored = store_.event(std::string(event_id));
  if (!stored) return nullptr;
  auto pdu = core::parse_json_object(stored->json);
  if (!pdu) return nullptr;
  return &events_.emplace(std::string(event_id), std::move(*pdu)).first->second;
}

core::Result<storage::StateMap> resolve_stored(std::vector<storage::StateMap> states, StoredEvents& source,
                                               const rooms::RoomVersionRules& rules) {
  if (rules.state_res_v1) return rooms::resolve_state_v1(states, source, rules);
  rooms::AuthChains chains;  // per resolution: bounded by what this one walks
  return rooms::resolve_state(states, source, chains, rules);
}

}  // namespace myelin::homeserver
