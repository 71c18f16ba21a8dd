// State resolution, the parts all versions share: the conflicted/unconflicted split, the auth
// difference and the v2.1 conflicted state subgraph (rooms/fragments/v2-state-res.md and
// rooms/v12.md "Definitions"), and the choice of algorithm.
#include "rooms/state_res.h"

#include <algorithm>

#include "rooms/auth_util.h"
#include "rooms/state_res_steps.h"

namespace myelin::rooms {

namespace internal {

std::vector<std::string_view> referenced_ids(const json::object& pdu, std::string_view key) {
  std::vector<std::string_view> ids;
  const json::value* list = pdu.if_contains(key);
  if (!list || !list->is_array()) return ids;
  for (const json::value& entry : list->get_array()) {
    if (entry.is_string()) {
      ids.push_back(entry.get_string());
    } else if (entry.is_array() && !entry.get_array().empty() && entry.get_array()[0].is_string()) {
      ids.push_back(entry.get_array()[0].get_string());
    }
  }
  return ids;
}

core::Result<const json::object*> get_event(EventSource& source, std::string_view event_id) {
  const json::object* pdu = source.event(event_id);
  if (!pdu) return core::fail(core::Errc::kNotFound, "state resolution needs unknown event " + std::string(event_id));
  return pdu;
}

StateKey state_key_of(const json::object& pdu) {
  return {std::string(string_field(pdu, "type")), std::string(string_field(pdu, "state_key"))};
}

SplitState split_states(std::span<const StateMap> states, bool absent_conflicts) {
  SplitState split;
  std::map<StateKey, std::vector<std::string>> values;  // keys some state disagrees on
  // A key of the first state is unconflicted when no state disagrees; walking it in order
  // keeps the unconflicted map's inserts at its end.
  for (const auto& [key, event_id] : states.front()) {
    bool agreed = true;
    for (const StateMap& other : states.subspan(1)) {
      auto it = other.find(key);
      if (it == other.end() ? absent_conflicts : it->second != event_id) agreed = false;
    }
    if (agreed) {
      split.unconflicted.emplace_hint(split.unconflicted.end(), key, event_id);
    } else {
      for (const StateMap& state : states) {
        if (auto it = state.find(key); it != state.end()) values[key].push_back(it->second);
      }
    }
  }
  // Keys the first state lacks: v2 conflicts them; v1 when the states that have them differ.
  for (const StateMap& state : states.subspan(1)) {
    for (const auto& [key, event_id] : state) {
      if (!states.front().contains(key)) values[key].push_back(event_id);
    }
  }
  for (auto& [key, ids] : values) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (!absent_conflicts && ids.size() == 1 && !states.front().contains(key)) {
      split.unconflicted.emplace(key, ids.front());
    } else {
      split.conflicted.emplace(key, std::move(ids));
    }
  }
  return split;
}

namespace {

template <typename T>
T& at(std::vector<T>& marks, AuthChains::Id id, const AuthChains& chains) {
  if (id >= marks.size()) marks.resize(chains.size());
  return marks[id];
}

}  // namespace

core::Result<std::vector<AuthChains::Id>> auth_difference(std::span<const StateMap> states, const SplitState& split,
                                                          EventSource& source, AuthChains& chains) {
  using Id = AuthChains::Id;
  // The chains of the unconflicted events are in every state's full chain: never in the
  // difference, and neither is anything below them, so the walks below stop there.
  std::vector<Id> unconflicted;
  unconflicted.reserve(split.unconflicted.size());
  for (const auto& [key, event_id] : split.unconflicted) {
    auto id = chains.intern(source, event_id);
    if (!id) return std::unexpected(id.error());
    unconflicted.push_back(*id);
  }
  std::vector<std::uint8_t> common;
  auto walked = chains.walk(source, unconflicted, [&](Id id) { return !std::exchange(at(common, id, chains), 1); });
  if (!walked) return std::unexpected(walked.error());

  // Per state, the events of its conflicted entries; count the states reaching each event.
  std::vector<std::uint32_t> reached_by;
  std::vector<std::uint32_t> last_state;  // 1 + the index of the last state that reached it
  std::vector<Id> reached;
  for (std::uint32_t i = 0; i < states.size(); ++i) {
    std::vector<Id> from;
    for (const auto& [key, ids] : split.conflicted) {
      auto it = states[i].find(key);
      if (it == states[i].end()) continue;
      auto id = chains.intern(source, it->second);
      if (!id) return std::unexpected(id.error());
      from.push_back(*id);
    }
    walked = chains.walk(source, from, [&](Id id) {
      if (at(common, id, chains) || at(last_state, id, chains) == i + 1) return false;
      last_state[id] = i + 1;
      if (at(reached_by, id, chains)++ == 0) reached.push_back(id);
      return true;
    });
    if (!walked) return std::unexpected(walked.error());
  }
  std::erase_if(reached, [&](Id id) { return reached_by[id] == states.size(); });
  return reached;
}

core::Result<std::vector<AuthChains::Id>> conflicted_subgraph(std::span<const AuthChains::Id> conflicted,
                                                              EventSource& source, AuthChains& chains) {
  using Id = AuthChains::Id;
  enum : std::uint8_t { kConflicted = 1, kBelow = 2, kVisiting = 4, kDone = 8, kReaches = 16 };
  std::vector<std::uint8_t> marks;
  for (Id id : conflicted) at(marks, id, chains) |= kConflicted;
  // Below: the auth chains of the conflicted events (a path starts at one of them).
  std::vector<Id> below;
  auto walked = chains.walk(source, conflicted, [&](Id id) {
    std::uint8_t& mark = at(marks, id, chains);
    if (mark & kBelow) return false;
    mark |= kBelow;
    below.push_back(id);
    return true;
  });
  if (!walked) return std::unexpected(walked.error());
  marks.resize(chains.size());
  // Reaches: a conflicted event is in its auth chain (a path ends at one). Post-order over the
  // events below, all of them walked; an event on a cycle (impossible from v3 on) reaches
  // nothing through the event being visited.
  for (Id root : below) {
    std::vector<std::pair<Id, std::size_t>> stack{{root, 0}};
    while (!stack.empty()) {
      auto& [id, next] = stack.back();
      marks[id] |= kVisiting;
      const std::vector<Id>& auth = chains.auth_events(id);
      if (marks[id] & kDone) {
        stack.pop_back();
      } else if (next < auth.size()) {
        const Id child = auth[next++];
        if (marks[child] & (kConflicted | kReaches)) {
          marks[id] |= kReaches;
        } else if (!(marks[child] & (kVisiting | kDone))) {
          stack.emplace_back(child, 0);
        }
      } else {
        marks[id] |= kDone;
        const bool reaches = marks[id] & kReaches;
        stack.pop_back();
        if (reaches && !stack.empty()) marks[stack.back().first] |= kReaches;
      }
    }
  }
  std::erase_if(below, [&](Id id) { return (marks[id] & kConflicted) || !(marks[id] & kReaches); });
  return below;
}

}  // namespace internal

core::Result<StateMap> resolve_state(std::span<const StateMap> states, EventSource& source, AuthChains& chains,
                                     const RoomVersionRules& rules) {
  if (states.empty()) return StateMap{};
  if (states.size() == 1) return states.front();
  return internal::resolve_v2(states, source, chains, rules);
}

core::Result<StateMap> resolve_state_v1(std::span<const StateMap> states, EventSource& source,
                                        const RoomVersionRules& rules) {
  if (states.empty()) return StateMap{};
  if (states.size() == 1) return states.front();
  return internal::resolve_v1(states, source, rules);
}

}  // namespace myelin::rooms
