// State resolution v1 (rooms/v1.md "State resolution"): conflicts resolved in passes, power
// levels, join rules, memberships, then the rest, each against the state resolved so far (R).
#include <openssl/evp.h>

#include <algorithm>

#include "rooms/auth.h"
#include "rooms/auth_util.h"
#include "rooms/state_res_steps.h"

namespace myelin::rooms::internal {

namespace {

std::string sha1(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha1(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

// The events of one conflicted key by ascending depth, then descending sha1(event_id).
core::Result<std::vector<std::string>> by_depth(const std::vector<std::string>& ids, EventSource& source) {
  struct Entry {
    std::int64_t depth;
    std::string hash;
    std::string event_id;
  };
  std::vector<Entry> entries;
  for (const std::string& event_id : ids) {
    auto pdu = get_event(source, event_id);
    if (!pdu) return std::unexpected(pdu.error());
    const json::value* depth = (*pdu)->if_contains("depth");
    entries.push_back(Entry{depth ? as_integer(*depth).value_or(0) : 0, sha1(event_id), event_id});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.depth != b.depth) return a.depth < b.depth;
    return a.hash > b.hash;
  });
  std::vector<std::string> sorted;
  for (Entry& entry : entries) sorted.push_back(std::move(entry.event_id));
  return sorted;
}

// authorize_event against R, with `key` read as `value` when set.
bool allowed_in(const std::string& event_id, const StateMap& resolved, EventSource& source,
                const RoomVersionRules& rules, const StateKey* key = nullptr, const std::string* value = nullptr) {
  const json::object* pdu = source.event(event_id);
  const StateLookup lookup = [&](std::string_view type, std::string_view state_key) -> const json::object* {
    StateKey wanted(type, state_key);
    if (key && wanted == *key) return source.event(*value);
    auto it = resolved.find(wanted);
    return it == resolved.end() ? nullptr : source.event(it->second);
  };
  return pdu && authorize_event(*pdu, lookup, rules).has_value();
}

// A power levels, join rules or member conflict: the first event by depth, then each next one
// while the rules allow it in R with its predecessor applied.
core::Result<std::string> resolve_auth_key(const StateKey& key, const std::vector<std::string>& ids,
                                           const StateMap& resolved, EventSource& source,
                                           const RoomVersionRules& rules) {
  auto sorted = by_depth(ids, source);
  if (!sorted) return std::unexpected(sorted.error());
  std::string chosen = sorted->front();
  for (std::size_t i = 1; i < sorted->size(); ++i) {
    if (!allowed_in((*sorted)[i], resolved, source, rules, &key, &chosen)) break;
    chosen = (*sorted)[i];
  }
  return chosen;
}

// Any other conflict: the event of the highest depth and lowest sha1(event_id) that the rules
// allow in R; when none is allowed, the last one tried (as Synapse).
core::Result<std::string> resolve_other_key(const std::vector<std::string>& ids, const StateMap& resolved,
                                            EventSource& source, const RoomVersionRules& rules) {
  auto sorted = by_depth(ids, source);
  if (!sorted) return std::unexpected(sorted.error());
  for (auto it = sorted->rbegin(); it != sorted->rend(); ++it) {
    if (allowed_in(*it, resolved, source, rules)) return *it;
  }
  return sorted->front();
}

}  // namespace

core::Result<StateMap> resolve_v1(std::span<const StateMap> states, EventSource& source,
                                  const RoomVersionRules& rules) {
  SplitState split = split_states(states, false);
  StateMap resolved = std::move(split.unconflicted);
  // The passes; the keys of one pass are resolved against R as the pass began.
  const auto pass = [&](auto selects, bool auth_key) -> core::Status {
    StateMap chosen;
    for (const auto& [key, ids] : split.conflicted) {
      if (!selects(key)) continue;
      auto event_id = auth_key ? resolve_auth_key(key, ids, resolved, source, rules)
                               : resolve_other_key(ids, resolved, source, rules);
      if (!event_id) return std::unexpected(event_id.error());
      chosen.emplace(key, std::move(*event_id));
    }
    for (auto& [key, event_id] : chosen) resolved.insert_or_assign(key, std::move(event_id));
    return {};
  };
  const auto of_type = [](std::string_view type) { return [type](const StateKey& key) { return key.first == type; }; };
  const auto other = [](const StateKey& key) {
    return key.first != "m.room.power_levels" && key.first != "m.room.join_rules" && key.first != "m.room.member";
  };
  for (auto status : {pass(of_type("m.room.power_levels"), true), pass(of_type("m.room.join_rules"), true),
                      pass(of_type("m.room.member"), true), pass(other, false)}) {
    if (!status) return std::unexpected(status.error());
  }
  return resolved;
}

}  // namespace myelin::rooms::internal
