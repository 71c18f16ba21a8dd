#include "homeserver/federation/join_response.h"

#include <map>
#include <utility>

#include "homeserver/timeline/room_state.h"
#include "rooms/auth.h"
#include "rooms/event_format.h"
#include "rooms/pdu_format.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

core::Status read_pdus(json::object& body, std::string_view key, std::vector<json::object>& out, std::size_t& budget) {
  json::value* list = body.if_contains(key);
  if (!list || !list->is_array()) return core::fail(Errc::kBadJson, std::string(key) + " must be an array");
  for (json::value& pdu : list->get_array()) {
    if (!pdu.is_object()) return core::fail(Errc::kBadJson, std::string(key) + " must hold objects");
    if (budget-- == 0) return core::fail(Errc::kTooLarge, "The answer has too many events");
    out.push_back(std::move(pdu.get_object()));
  }
  return {};
}

// Whether `pdu` is of `room_id`: its room_id, or for a v12 create the ID it defines.
bool of_room(const json::object& pdu, const std::string& room_id, const rooms::RoomVersionRules& rules) {
  if (const json::value* id = pdu.if_contains("room_id")) return id->is_string() && id->get_string() == room_id;
  return rules.room_id_from_create_event && rooms::room_id_from_create_event(pdu, rules) == room_id;
}

enum class Verdict { kUnvisited, kVisiting, kAccepted, kRejected };

struct Candidate {
  json::object pdu;
  bool in_state = false;
  Verdict verdict = Verdict::kUnvisited;
};
using Candidates = std::map<std::string, Candidate>;

// Steps 1–3 for one event: format, room, signatures, hash (redacted on mismatch).
void admit_one(Candidates& candidates, json::object& pdu, bool in_state, const std::string& room_id,
               const rooms::RoomVersionRules& rules, const KeyLookup& keys) {
  if (!rooms::check_pdu_format(pdu, rules) || !of_room(pdu, room_id, rules)) return;
  std::string id = rooms::event_id_of(pdu, rules);
  if (auto it = candidates.find(id); it != candidates.end()) {
    it->second.in_state |= in_state;
    return;
  }
  if (!verify_pdu_signatures(pdu, rules, keys)) return;
  pdu.erase("unsigned");
  if (!content_hash_matches(pdu)) pdu = rooms::redact(pdu, rules);
  candidates.emplace(std::move(id), Candidate{std::move(pdu), in_state});
}

Candidates admit(JoinAnswer& answer, const std::string& room_id, const rooms::RoomVersionRules& rules,
                 const KeyLookup& keys) {
  Candidates candidates;
  for (auto& pdu : answer.state) admit_one(candidates, pdu, true, room_id, rules, keys);
  for (auto& pdu : answer.auth_chain) admit_one(candidates, pdu, false, room_id, rules, keys);
  return candidates;
}

// Step 4 for every candidate, auth events first (an explicit stack: chains can be long): an
// event is accepted when all its auth events are accepted candidates (or `known`: accepted
// here before) and allow it.
void authorize_all(Candidates& candidates, const json::object& create, const rooms::RoomVersionRules& rules,
                   const KnownPdus& known = {}) {
  for (auto root = candidates.begin(); root != candidates.end(); ++root) {
    std::vector<Candidates::iterator> stack{root};
    while (!stack.empty()) {
      Candidate& event = stack.back()->second;
      if (event.verdict == Verdict::kAccepted || event.verdict == Verdict::kRejected) {
        stack.pop_back();
        continue;
      }
      const auto auth_ids = rooms::referenced_event_ids(event.pdu, "auth_events", rules);
      if (event.verdict == Verdict::kUnvisited) {
        event.verdict = Verdict::kVisiting;
        for (std::string_view id : auth_ids)
          if (auto it = candidates.find(std::string(id));
              it != candidates.end() && it->second.verdict == Verdict::kUnvisited)
            stack.push_back(it);
        continue;
      }
      // Visiting again: every auth event is decided now, or on a cycle through this event.
      std::vector<const json::object*> auth;
      bool usable = true;
      for (std::string_view id : auth_ids) {
        auto it = candidates.find(std::string(id));
        if (it == candidates.end()) {
          const json::object* stored = usable && known ? known(id) : nullptr;
          usable = stored != nullptr;
          if (usable) auth.push_back(stored);
          continue;
        }
        usable = usable && it->second.verdict == Verdict::kAccepted;
        if (usable) auth.push_back(&it->second.pdu);
      }
      event.verdict =
          usable && authorize_by_auth_events(event.pdu, auth, create, rules) ? Verdict::kAccepted : Verdict::kRejected;
      stack.pop_back();
    }
  }
}

// The state's create event among the candidates (before authorization), or nullptr.
const json::object* find_create(const Candidates& candidates) {
  for (const auto& [id, candidate] : candidates)
    if (candidate.in_state && string_field(candidate.pdu, "type") == "m.room.create" &&
        candidate.pdu.contains("state_key") && string_field(candidate.pdu, "state_key").empty())
      return &candidate.pdu;
  return nullptr;
}

}  // namespace

std::vector<CheckedPdu> check_pdu_batch(std::vector<json::object> pdus, const std::string& room_id,
                                        const json::object& create, const rooms::RoomVersionRules& rules,
                                        const KeyLookup& keys, const KnownPdus& known) {
  Candidates candidates;
  for (auto& pdu : pdus) admit_one(candidates, pdu, false, room_id, rules, keys);
  authorize_all(candidates, create, rules, known);
  std::vector<CheckedPdu> out;
  for (auto& [id, candidate] : candidates)
    if (candidate.verdict == Verdict::kAccepted) out.push_back({id, std::move(candidate.pdu)});
  return out;
}

core::Result<JoinAnswer> read_join_answer(json::object body) {
  JoinAnswer answer;
  std::size_t budget = kMaxJoinEvents;
  if (auto read = read_pdus(body, "state", answer.state, budget); !read) return std::unexpected(read.error());
  if (auto read = read_pdus(body, "auth_chain", answer.auth_chain, budget); !read) return std::unexpected(read.error());
  if (json::value* event = body.if_contains("event")) {
    if (!event->is_object()) return core::fail(Errc::kBadJson, "event must be an object");
    answer.event = std::move(event->get_object());
  }
  return answer;
}

std::vector<KeyNeed> join_answer_keys(const JoinAnswer& answer, const json::object& join,
                                      const rooms::RoomVersionRules& rules) {
  std::map<std::pair<std::string, std::string>, std::int64_t> needs;  // -> the latest time a key must be valid at
  auto add = [&](const json::object& pdu) {
    for (KeyNeed& need : signing_keys_needed(pdu, rules)) {
      std::int64_t& until = needs[{std::move(need.server), std::move(need.key_id)}];
      until = std::max(until, need.minimum_valid_until_ts);
    }
  };
  for (const auto& pdu : answer.state) add(pdu);
  for (const auto& pdu : answer.auth_chain) add(pdu);
  if (answer.event) add(*answer.event);
  add(join);
  std::vector<KeyNeed> out;
  out.reserve(needs.size());
  for (auto& [key, until] : needs) out.push_back({key.first, key.second, until});
  return out;
}

core::Result<JoinedRoom> check_join_answer(JoinAnswer answer, const std::string& room_id, json::object join,
                                           const std::string& join_id, const rooms::RoomVersionRules& rules,
                                           const KeyLookup& keys) {
  Candidates candidates = admit(answer, room_id, rules, keys);
  const json::object* create = find_create(candidates);
  if (!create) return core::fail(Errc::kBadJson, "The state has no valid create event");
  const json::value* version = create->at("content").get_object().if_contains("room_version");
  const std::string_view named = version ? (version->is_string() ? std::string_view(version->get_string()) : "") : "1";
  if (named != rules.id) return core::fail(Errc::kBadJson, "The create event names another room version");
  authorize_all(candidates, *create, rules);

  JoinedRoom joined;
  std::map<storage::StateKey, const json::object*> state_pdus;
  for (auto& [id, candidate] : candidates) {
    if (candidate.verdict != Verdict::kAccepted || id == join_id) continue;
    const json::object& pdu = candidate.pdu;
    std::optional<std::string> state_key;
    if (pdu.contains("state_key")) state_key = std::string(string_field(pdu, "state_key"));
    if (candidate.in_state && state_key) {
      const storage::StateKey key{std::string(string_field(pdu, "type")), *state_key};
      if (!state_pdus.emplace(key, &pdu).second) return core::fail(Errc::kBadJson, "The state names a key twice");
      joined.state[key] = id;
    }
    joined.outliers.push_back({id, room_id, std::string(string_field(pdu, "type")), state_key,
                               std::string(string_field(pdu, "sender")), pdu.at("depth").to_number<std::int64_t>(),
                               pdu.at("origin_server_ts").to_number<std::int64_t>(), core::canonical_json(pdu)});
  }
  auto accepted_create = state_pdus.find({"m.room.create", ""});
  if (accepted_create == state_pdus.end()) return core::fail(Errc::kBadJson, "The create event was not accepted");
  const json::object& create_pdu = *accepted_create->second;
  const std::string_view creator = string_field(create_pdu.at("content").get_object(), "creator");
  joined.creator = std::string(creator.empty() ? string_field(create_pdu, "sender") : creator);

  if (answer.event && rooms::check_pdu_format(*answer.event, rules) &&
      rooms::event_id_of(*answer.event, rules) == join_id && content_hash_matches(*answer.event) &&
      verify_pdu_signatures(*answer.event, rules, keys)) {
    join = std::move(*answer.event);
    join.erase("unsigned");
  }
  auto lookup = [&state_pdus](std::string_view type, std::string_view key) -> const json::object* {
    auto it = state_pdus.find({std::string(type), std::string(key)});
    return it == state_pdus.end() ? nullptr : it->second;
  };
  if (auto allowed = rooms::authorize_event(join, lookup, rules); !allowed)
    return core::fail(Errc::kForbidden, "The room's state does not allow the join: " + allowed.error().message);
  joined.join = std::move(join);
  return joined;
}

}  // namespace myelin::homeserver
