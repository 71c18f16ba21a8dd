// State resolution v2 (rooms/fragments/v2-state-res.md, room versions 2..11) and v2.1
// (rooms/v12.md "State resolution", MSC4297): the "Algorithm" steps 1-5 over the full
// conflicted set.
#include <algorithm>
#include <limits>
#include <optional>
#include <queue>
#include <unordered_map>

#include "rooms/auth.h"
#include "rooms/auth_util.h"
#include "rooms/state_res_steps.h"

namespace myelin::rooms::internal {

namespace {

using Id = AuthChains::Id;
constexpr std::string_view kPowerLevels = "m.room.power_levels";
constexpr std::string_view kCreate = "m.room.create";

bool is_state_event(const json::object& pdu) {
  const json::value* key = pdu.if_contains("state_key");
  return key && key->is_string();
}

bool is_state(const json::object& pdu, std::string_view type) {
  return string_field(pdu, "type") == type && is_state_event(pdu) && string_field(pdu, "state_key").empty();
}

// "Power events": power levels, join rules, and a leave or ban of someone else. The create
// event counts too, as in Synapse and ruma (it matters only when the create is conflicted).
bool is_power_event(const json::object& pdu) {
  if (!is_state_event(pdu)) return false;
  if (is_state(pdu, kPowerLevels) || is_state(pdu, "m.room.join_rules") || is_state(pdu, kCreate)) return true;
  if (string_field(pdu, "type") != "m.room.member") return false;
  const std::string_view membership = membership_of(&pdu);
  return (membership == "leave" || membership == "ban") &&
         string_field(pdu, "sender") != string_field(pdu, "state_key");
}

// v12: the create event is not among the auth events; its ID is the room ID with '$'.
std::optional<std::string> implied_create_id(const json::object& pdu, const RoomVersionRules& rules) {
  const std::string_view room_id = string_field(pdu, "room_id");
  if (!rules.room_id_from_create_event || !room_id.starts_with('!')) return std::nullopt;
  return "$" + std::string(room_id.substr(1));
}

// The event's auth events by state key; without the rejected ones when `skip_rejected`.
core::Result<std::map<StateKey, const json::object*>> auth_events_by_key(const json::object& pdu, EventSource& source,
                                                                         const RoomVersionRules& rules,
                                                                         bool skip_rejected) {
  std::vector<std::string> ids;
  for (std::string_view id : referenced_ids(pdu, "auth_events")) ids.emplace_back(id);
  if (auto create = implied_create_id(pdu, rules)) ids.push_back(std::move(*create));
  std::map<StateKey, const json::object*> by_key;
  for (const std::string& id : ids) {
    auto event = get_event(source, id);
    if (!event) return std::unexpected(event.error());
    if (skip_rejected && source.rejected(id)) continue;
    if (is_state_event(**event)) by_key.emplace(state_key_of(**event), *event);
  }
  return by_key;
}

// The comparison of the "reverse topological power ordering": the sender's power level at the
// event (from its auth events; a v12 creator's is infinite) greater first, then
// origin_server_ts, then event ID.
struct PowerRank {
  std::optional<std::int64_t> level;  // nullopt: infinite
  std::int64_t ts = 0;
  std::string_view event_id;

  bool operator<(const PowerRank& other) const {
    if (level != other.level) return !level || (other.level && *level > *other.level);
    if (ts != other.ts) return ts < other.ts;
    return event_id < other.event_id;
  }
};

std::int64_t origin_server_ts(const json::object& pdu) {
  const json::value* ts = pdu.if_contains("origin_server_ts");
  return ts ? as_integer(*ts).value_or(0) : 0;
}

core::Result<PowerRank> power_rank(std::string_view event_id, const json::object& pdu, EventSource& source,
                                   const RoomVersionRules& rules) {
  auto auth = auth_events_by_key(pdu, source, rules, false);
  if (!auth) return std::unexpected(auth.error());
  auto find = [&](std::string_view type) -> const json::object* {
    auto it = auth->find(StateKey(type, ""));
    return it == auth->end() ? nullptr : it->second;
  };
  const json::object* create = is_state(pdu, kCreate) ? &pdu : find(kCreate);
  PowerRank rank{0, origin_server_ts(pdu), event_id};
  if (create) {
    const json::object* levels = find(kPowerLevels);
    rank.level = PowerLevels(content_of(levels), *create, rules).user_level(string_field(pdu, "sender"));
  }
  return rank;
}

// Kahn's algorithm over `graph` (event -> its auth events in the graph), auth events first,
// the smallest PowerRank among the candidates at each step.
core::Result<std::vector<std::string>> reverse_topological_power_order(const std::map<Id, std::vector<Id>>& graph,
                                                                       EventSource& source, AuthChains& chains,
                                                                       const RoomVersionRules& rules) {
  std::unordered_map<Id, std::size_t> waiting;  // auth events not yet output
  std::unordered_map<Id, std::vector<Id>> cited_by;
  std::unordered_map<Id, PowerRank> ranks;
  using Candidate = std::pair<PowerRank, Id>;
  auto later = [](const Candidate& a, const Candidate& b) { return b.first < a.first; };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(later)> ready(later);
  for (const auto& [id, auth] : graph) {
    auto pdu = get_event(source, chains.event_id(id));
    if (!pdu) return std::unexpected(pdu.error());
    auto rank = power_rank(chains.event_id(id), **pdu, source, rules);
    if (!rank) return std::unexpected(rank.error());
    ranks.emplace(id, *rank);
    waiting[id] = auth.size();
    for (Id cited : auth) cited_by[cited].push_back(id);
    if (auth.empty()) ready.emplace(*rank, id);
  }
  std::vector<std::string> order;
  while (!ready.empty()) {
    const Id id = ready.top().second;
    ready.pop();
    order.push_back(chains.event_id(id));
    for (Id parent : cited_by[id]) {
      if (--waiting[parent] == 0) ready.emplace(ranks.at(parent), parent);
    }
  }
  if (order.size() != graph.size()) return core::fail(core::Errc::kBadState, "the auth events form a cycle");
  return order;
}

// "Iterative auth checks": each event that the authorization rules allow against the state
// (a key the state lacks read from the event's auth events, rejected ones left out) is applied.
core::Status iterative_auth_checks(std::span<const std::string> order, StateMap& state, EventSource& source,
                                   const RoomVersionRules& rules) {
  for (const std::string& event_id : order) {
    auto pdu = get_event(source, event_id);
    if (!pdu) return std::unexpected(pdu.error());
    auto auth = auth_events_by_key(**pdu, source, rules, true);
    if (!auth) return std::unexpected(auth.error());
    const StateLookup lookup = [&](std::string_view type, std::string_view key) -> const json::object* {
      StateKey wanted(type, key);
      if (auto it = state.find(wanted); it != state.end()) return source.event(it->second);
      auto it = auth->find(wanted);
      return it == auth->end() ? nullptr : it->second;
    };
    if (authorize_event(**pdu, lookup, rules)) state.insert_or_assign(state_key_of(**pdu), event_id);
  }
  return {};
}

// The m.room.power_levels event among the event's auth events, or nullopt.
core::Result<std::optional<std::string>> power_levels_auth_event(std::string_view event_id, EventSource& source) {
  auto pdu = get_event(source, event_id);
  if (!pdu) return std::unexpected(pdu.error());
  for (std::string_view auth_id : referenced_ids(**pdu, "auth_events")) {
    auto auth = get_event(source, auth_id);
    if (!auth) return std::unexpected(auth.error());
    if (is_state(**auth, kPowerLevels)) return std::string(auth_id);
  }
  return std::nullopt;
}

// "Mainline ordering" of `events` based on the power levels event `power_levels` (none: every
// position is infinite): greater mainline position first, then origin_server_ts, then ID.
core::Status mainline_order(std::vector<std::string>& events, const std::string* power_levels, EventSource& source,
                            std::size_t bound) {
  std::unordered_map<std::string, std::size_t> mainline;  // P_i -> i
  for (std::optional<std::string> p = power_levels ? std::optional(*power_levels) : std::nullopt;
       p && mainline.size() <= bound;) {
    if (!mainline.emplace(*p, mainline.size()).second) break;  // a cycle (only before v3)
    auto next = power_levels_auth_event(*p, source);
    if (!next) return std::unexpected(next.error());
    p = std::move(*next);
  }
  struct Key {
    std::size_t position;
    std::int64_t ts;
  };
  std::unordered_map<std::string, Key> keys;
  for (const std::string& event_id : events) {
    std::size_t position = std::numeric_limits<std::size_t>::max();  // infinite
    auto p = power_levels_auth_event(event_id, source);
    for (std::size_t steps = 0; p && *p && steps <= bound; ++steps) {
      if (auto it = mainline.find(**p); it != mainline.end()) {
        position = it->second;
        break;
      }
      p = power_levels_auth_event(**p, source);
    }
    if (!p) return std::unexpected(p.error());
    auto pdu = get_event(source, event_id);
    if (!pdu) return std::unexpected(pdu.error());
    keys.emplace(event_id, Key{position, origin_server_ts(**pdu)});
  }
  std::sort(events.begin(), events.end(), [&](const std::string& a, const std::string& b) {
    const Key& x = keys.at(a);
    const Key& y = keys.at(b);
    if (x.position != y.position) return x.position > y.position;
    if (x.ts != y.ts) return x.ts < y.ts;
    return a < b;
  });
  return {};
}

}  // namespace

core::Result<StateMap> resolve_v2(std::span<const StateMap> states, EventSource& source, AuthChains& chains,
                                  const RoomVersionRules& rules) {
  SplitState split = split_states(states, true);
  if (split.conflicted.empty()) return std::move(split.unconflicted);

  // The full conflicted set: the conflicted state set, the auth difference and (v2.1) the
  // conflicted state subgraph.
  std::vector<Id> conflicted;
  for (const auto& [key, ids] : split.conflicted) {
    for (const std::string& event_id : ids) {
      auto id = chains.intern(source, event_id);
      if (!id) return std::unexpected(id.error());
      conflicted.push_back(*id);
    }
  }
  auto difference = auth_difference(states, split, source, chains);
  if (!difference) return std::unexpected(difference.error());
  std::vector<Id> full = conflicted;
  full.insert(full.end(), difference->begin(), difference->end());
  if (rules.state_res_v2_1) {
    auto subgraph = conflicted_subgraph(conflicted, source, chains);
    if (!subgraph) return std::unexpected(subgraph.error());
    full.insert(full.end(), subgraph->begin(), subgraph->end());
  }
  std::sort(full.begin(), full.end());
  full.erase(std::unique(full.begin(), full.end()), full.end());
  auto in_full = [&](Id id) { return std::binary_search(full.begin(), full.end(), id); };

  // 1. The power events of the full conflicted set and the events of their auth chains in the
  //    set (reached through events of the set, as Synapse and ruma walk them), sorted by the
  //    reverse topological power ordering of the auth events among them.
  std::map<Id, std::vector<Id>> graph;
  for (Id id : full) {
    auto pdu = get_event(source, chains.event_id(id));
    if (!pdu) return std::unexpected(pdu.error());
    if (!is_power_event(**pdu)) continue;
    std::vector<Id> stack{id};
    while (!stack.empty()) {
      const Id next = stack.back();
      stack.pop_back();
      if (graph.contains(next)) continue;
      std::vector<Id>& auth = graph[next];
      for (Id cited : chains.auth_events(next)) {
        if (!in_full(cited)) continue;
        auth.push_back(cited);
        stack.push_back(cited);
      }
    }
  }
  auto power_order = reverse_topological_power_order(graph, source, chains, rules);
  if (!power_order) return std::unexpected(power_order.error());

  // 2. Iterative auth checks from the unconflicted state map (v2.1: from an empty one).
  StateMap state = rules.state_res_v2_1 ? StateMap{} : split.unconflicted;
  if (auto checked = iterative_auth_checks(*power_order, state, source, rules); !checked) {
    return std::unexpected(checked.error());
  }

  // 3. The other events in mainline order of the resolved power levels; 4. their checks.
  std::vector<std::string> others;
  for (Id id : full) {
    if (!graph.contains(id)) others.push_back(chains.event_id(id));
  }
  auto power_levels = state.find(StateKey(kPowerLevels, ""));
  auto ordered =
      mainline_order(others, power_levels == state.end() ? nullptr : &power_levels->second, source, chains.size());
  if (!ordered) return std::unexpected(ordered.error());
  if (auto checked = iterative_auth_checks(others, state, source, rules); !checked) {
    return std::unexpected(checked.error());
  }

  // 5. The unconflicted state map wins.
  for (auto& [key, event_id] : split.unconflicted) state.insert_or_assign(key, std::move(event_id));
  return state;
}

}  // namespace myelin::rooms::internal
