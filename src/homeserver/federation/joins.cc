#include "homeserver/federation/joins.h"

#include <algorithm>
#include <deque>
#include <set>

#include "core/clock.h"
#include "core/ids.h"
#include "homeserver/federation/invites.h"
#include "homeserver/timeline/client_format.h"
#include "homeserver/timeline/join_rules.h"
#include "rooms/auth.h"
#include "rooms/event_format.h"
#include "rooms/pdu_format.h"
#include "rooms/server_acl.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

constexpr std::size_t kHeroes = 5;  // client-server-api: m.heroes lists up to 5 members

bool joined_locally(const RoomState& room, const std::string& server_name) {
  const std::string suffix = ":" + server_name;
  return std::ranges::any_of(room.joined, [&suffix](const std::string& user) { return user.ends_with(suffix); });
}

std::string_view server_of(std::string_view user_id) {
  const auto colon = user_id.find(':');
  return colon == std::string_view::npos ? std::string_view() : user_id.substr(colon + 1);
}

// The stored events of `ids` as parsed PDUs, in order, skipping any the store lacks.
std::vector<json::object> stored_pdus(storage::EventStore& store, const std::vector<std::string>& ids) {
  std::vector<json::object> out;
  out.reserve(ids.size());
  for (auto& event : store.events(ids))
    if (auto pdu = core::parse_json_object(event.json)) out.push_back(std::move(*pdu));
  return out;
}

// Every event reachable from `seeds` through auth_events, each once, seeds excluded unless
// reached.
std::vector<json::object> auth_chain(storage::EventStore& store, const rooms::RoomVersionRules& rules,
                                     const std::vector<const json::object*>& seeds) {
  std::set<std::string> seen;
  std::deque<std::string> queue;
  auto visit = [&](const json::object& pdu) {
    for (std::string_view id : rooms::referenced_event_ids(pdu, "auth_events", rules))
      if (seen.emplace(id).second) queue.emplace_back(id);
  };
  for (const json::object* seed : seeds) visit(*seed);
  std::vector<json::object> chain;
  while (!queue.empty()) {
    auto stored = store.event(queue.front());
    queue.pop_front();
    if (!stored) continue;
    auto pdu = core::parse_json_object(stored->json);
    if (!pdu) continue;
    visit(*pdu);
    chain.push_back(std::move(*pdu));
  }
  return chain;
}

// send_join's answer for a join whose state before was `before`.
json::object join_answer(storage::EventStore& store, const rooms::RoomVersionRules& rules,
                         const storage::StateMap& before, const json::object& join, bool omit_members,
                         const std::set<std::string>& joined_before, const std::string& server_name,
                         const core::SigningKey& key) {
  std::vector<std::string> ids;
  ids.reserve(before.size());
  for (const auto& [key, id] : before) ids.push_back(id);
  std::vector<json::object> state = stored_pdus(store, ids);
  if (omit_members) {
    // Keep the heroes' member events (when the room has no name to show instead) and the
    // joiner's own (it authorises the join).
    std::set<std::string> kept{std::string(string_field(join, "state_key"))};
    if (!before.contains({"m.room.name", ""}) && !before.contains({"m.room.canonical_alias", ""})) {
      for (const auto& [key, id] : before) {
        if (kept.size() > kHeroes) break;
        if (key.first == "m.room.member") kept.insert(key.second);
      }
    }
    std::erase_if(state, [&kept](const json::object& pdu) {
      return string_field(pdu, "type") == "m.room.member" &&
             !kept.contains(std::string(string_field(pdu, "state_key")));
    });
  }
  std::vector<const json::object*> seeds{&join};
  for (const auto& pdu : state) seeds.push_back(&pdu);
  std::vector<json::object> chain = auth_chain(store, rules, seeds);
  if (omit_members) {
    std::set<std::string> in_state;
    for (const auto& pdu : state) in_state.insert(rooms::event_id_of(pdu, rules));
    std::erase_if(chain, [&](const json::object& pdu) { return in_state.contains(rooms::event_id_of(pdu, rules)); });
  }
  for (auto* events : {&state, &chain})
    for (json::object& pdu : *events) rooms::sign_own_event(pdu, rules, server_name, key);
  std::set<std::string> servers{server_name};
  for (const auto& user : joined_before) servers.emplace(server_of(user));
  json::array servers_in_room(servers.begin(), servers.end());
  return json::object{{"state", json::array(state.begin(), state.end())},
                      {"auth_chain", json::array(chain.begin(), chain.end())},
                      {"event", join},
                      {"members_omitted", omit_members},
                      {"servers_in_room", std::move(servers_in_room)},
                      {"origin", server_name}};
}

}  // namespace

core::Result<std::shared_ptr<RoomState>> FederationJoins::resident_room(const std::string& origin,
                                                                        const std::string& room_id) const {
  std::shared_ptr<RoomState> room = core::RoomId::parse(room_id) ? rooms_.room(room_id) : nullptr;
  if (!room || !joined_locally(*room, config_.server_name))
    return core::fail(Errc::kNotFound, "This server is not in the room");
  if (!rooms::server_allowed_by_acl(room->content("m.room.server_acl", ""), origin))
    return core::fail(Errc::kForbidden, "The room's server ACL denies your server");
  return room;
}

core::Result<json::object> FederationJoins::make_join(const std::string& origin, const std::string& room_id,
                                                      const std::string& user_id,
                                                      const std::vector<std::string>& versions) {
  return make_member(origin, room_id, user_id, &versions, "join");
}

core::Result<json::object> FederationJoins::make_leave(const std::string& origin, const std::string& room_id,
                                                       const std::string& user_id) {
  return make_member(origin, room_id, user_id, nullptr, "leave");
}

core::Result<json::object> FederationJoins::make_knock(const std::string& origin, const std::string& room_id,
                                                       const std::string& user_id,
                                                       const std::vector<std::string>& versions) {
  return make_member(origin, room_id, user_id, &versions, "knock");
}

core::Result<json::object> FederationJoins::make_member(const std::string& origin, const std::string& room_id,
                                                        const std::string& user_id,
                                                        const std::vector<std::string>* versions,
                                                        const std::string& membership) {
  if (!core::UserId::parse(user_id)) return core::fail(Errc::kInvalidParam, "Invalid user ID");
  if (server_of(user_id) != origin) return core::fail(Errc::kForbidden, "The user is not of the requesting server");
  auto room = resident_room(origin, room_id);
  if (!room) return std::unexpected(room.error());
  const rooms::RoomVersionRules& rules = *(*room)->rules;
  const bool offered =
      !versions || (versions->empty() ? rules.id == "1" : std::ranges::find(*versions, rules.id) != versions->end());
  if (!offered || (membership == "knock" && !rules.knocking)) {
    core::Error error =
        core::make_error(Errc::kIncompatibleRoomVersion, offered ? "The room's version does not allow knocking"
                                                                 : "The room's version is not one you support");
    error.extra["room_version"] = rules.id;
    return std::unexpected(std::move(error));
  }
  json::object content{{"membership", membership}};
  const std::string authoriser =
      membership == "join" ? restricted_join_authoriser(rooms_, config_.server_name, **room, user_id) : "";
  if (!authoriser.empty()) content["join_authorised_via_users_server"] = authoriser;
  json::object pdu{{"type", "m.room.member"},           {"state_key", user_id}, {"sender", user_id},
                   {"content", std::move(content)},     {"room_id", room_id},   {"origin", config_.server_name},
                   {"origin_server_ts", core::now_ms()}};
  if (auto graph = builder_.add_graph_fields(pdu, **room); !graph) return std::unexpected(graph.error());
  const RoomState& state = **room;
  auto lookup = [&state](std::string_view type, std::string_view key) { return state.pdu(type, key); };
  if (auto allowed = rooms::authorize_event(pdu, lookup, rules); !allowed) return std::unexpected(allowed.error());
  return json::object{{"room_version", rules.id}, {"event", std::move(pdu)}};
}

core::Status FederationJoins::check_member(const std::string& origin, const RoomState& room,
                                           const std::string& event_id, const json::object& pdu,
                                           const std::string& membership) const {
  const rooms::RoomVersionRules& rules = *room.rules;
  if (auto format = rooms::check_pdu_format(pdu, rules); !format) return format;
  auto invalid = [](std::string message) { return core::fail(Errc::kInvalidParam, std::move(message)); };
  if (rooms::event_id_of(pdu, rules) != event_id) return invalid("The event ID does not match the event");
  if (string_field(pdu, "room_id") != room.room_id) return invalid("The event is of another room");
  if (string_field(pdu, "type") != "m.room.member") return invalid("Not an m.room.member event");
  const std::string_view sender = string_field(pdu, "sender");
  if (string_field(pdu, "state_key") != sender) return invalid("The state_key is not the sender");
  if (server_of(sender) != origin) return invalid("The sender is not of the requesting server");
  const json::value* content = pdu.if_contains("content");
  if (string_field(content->get_object(), "membership") != membership) return invalid("Not a " + membership);
  // We countersign, so only one of our users can authorise a restricted join here.
  if (const json::value* via = content->get_object().if_contains("join_authorised_via_users_server");
      via && (!via->is_string() || server_of(via->get_string()) != config_.server_name))
    return invalid("join_authorised_via_users_server must be a user of this server");
  if (!content_hash_matches(pdu)) return invalid("The content hash does not match");
  for (std::string_view prev : rooms::referenced_event_ids(pdu, "prev_events", rules)) {
    auto known = store_.event(std::string(prev));
    if (!known || known->room_id != room.room_id || known->pos <= 0) return invalid("Unknown prev_events");
  }
  std::vector<std::string> auth_ids;
  for (std::string_view id : rooms::referenced_event_ids(pdu, "auth_events", rules)) auth_ids.emplace_back(id);
  const std::vector<json::object> auth = stored_pdus(store_, auth_ids);
  if (auth.size() != auth_ids.size()) return invalid("Unknown auth_events");
  std::vector<const json::object*> auth_pdus;
  for (const auto& event : auth) auth_pdus.push_back(&event);
  const json::object* create = room.pdu("m.room.create", "");
  if (!create) return core::fail(Errc::kInternal, "The room has no create event");
  return authorize_by_auth_events(pdu, auth_pdus, *create, rules);
}

void FederationJoins::send_join(const std::string& origin, const std::string& room_id, const std::string& event_id,
                                json::object pdu, bool omit_members,
                                std::function<void(core::Result<json::object>)> done) {
  auto room = resident_room(origin, room_id);
  if (!room) return done(std::unexpected(room.error()));
  if (auto stored = store_.event(event_id); stored && stored->pos != 0 && stored->room_id == room_id)
    return done(answer_again(**room, *stored, omit_members));
  verify_member(origin, std::move(*room), event_id, std::move(pdu), "join",
                [this, omit_members, done = std::move(done)](std::shared_ptr<RoomState> held,
                                                             core::Result<json::object> checked) {
                  if (!checked) return done(std::unexpected(checked.error()));
                  done(accept_join(*held, std::move(*checked), omit_members));
                });
}

void FederationJoins::verify_member(const std::string& origin, std::shared_ptr<RoomState> room,
                                    const std::string& event_id, json::object pdu, const std::string& membership,
                                    std::function<void(std::shared_ptr<RoomState>, core::Result<json::object>)> next) {
  // Only the origin's keys are fetched: an event of another server's user is refused first.
  if (server_of(string_field(pdu, "sender")) != origin)
    return next(std::move(room), core::fail(Errc::kForbidden, "The sender is not of the requesting server"));
  std::vector<KeyNeed> needs = signing_keys_needed(pdu, *room->rules, origin);
  keys_.fetch(std::move(needs), [this, origin, held = std::move(room), event_id, pdu = std::move(pdu), membership,
                                 next = std::move(next)](KeyLookup lookup) mutable {
    if (auto verified = verify_pdu_signatures(pdu, *held->rules, lookup, origin); !verified)
      return next(std::move(held), std::unexpected(verified.error()));
    if (auto checked = check_member(origin, *held, event_id, pdu, membership); !checked)
      return next(std::move(held), std::unexpected(checked.error()));
    next(std::move(held), std::move(pdu));
  });
}

void FederationJoins::send_leave(const std::string& origin, const std::string& room_id, const std::string& event_id,
                                 json::object pdu, std::function<void(core::Status)> done) {
  send_member(origin, room_id, event_id, std::move(pdu), "leave",
              [done = std::move(done)](const core::Result<std::shared_ptr<RoomState>>& room) {
                done(room ? core::Status() : std::unexpected(room.error()));
              });
}

void FederationJoins::send_knock(const std::string& origin, const std::string& room_id, const std::string& event_id,
                                 json::object pdu, std::function<void(core::Result<json::object>)> done) {
  send_member(origin, room_id, event_id, std::move(pdu), "knock",
              [this, done = std::move(done)](const core::Result<std::shared_ptr<RoomState>>& room) {
                if (!room) return done(std::unexpected(room.error()));
                json::array state;
                for (const json::object* event : stripped_state_pdus(**room, {})) {
                  json::object pdu = *event;
                  rooms::sign_own_event(pdu, *(*room)->rules, config_.server_name, key_);
                  state.emplace_back(std::move(pdu));
                }
                done(json::object{{"knock_room_state", std::move(state)}});
              });
}

void FederationJoins::send_member(const std::string& origin, const std::string& room_id, const std::string& event_id,
                                  json::object pdu, const std::string& membership,
                                  std::function<void(core::Result<std::shared_ptr<RoomState>>)> done) {
  auto room = resident_room(origin, room_id);
  if (!room) return done(std::unexpected(room.error()));
  if (auto stored = store_.event(event_id); stored && stored->pos != 0 && stored->room_id == room_id)
    return done(std::move(*room));
  verify_member(origin, std::move(*room), event_id, std::move(pdu), membership,
                [this, done = std::move(done)](std::shared_ptr<RoomState> held, core::Result<json::object> checked) {
                  if (!checked) return done(std::unexpected(checked.error()));
                  const rooms::RoomVersionRules& rules = *held->rules;
                  auto lookup_state = [&held](std::string_view type, std::string_view key) {
                    return held->pdu(type, key);
                  };
                  if (auto allowed = rooms::authorize_event(*checked, lookup_state, rules); !allowed)
                    return done(std::unexpected(allowed.error()));
                  BuiltEvent built = built_from_pdu(std::move(*checked), rules);
                  built.row.state_group_before = held->state_group;
                  write_path_.write(*held, built);
                  done(std::move(held));
                });
}

core::Result<json::object> FederationJoins::accept_join(RoomState& room, json::object pdu, bool omit_members) {
  const rooms::RoomVersionRules& rules = *room.rules;
  auto lookup = [&room](std::string_view type, std::string_view key) { return room.pdu(type, key); };
  if (auto allowed = rooms::authorize_event(pdu, lookup, rules); !allowed) return std::unexpected(allowed.error());
  rooms::add_event_signature(pdu, rules, config_.server_name, key_);
  BuiltEvent built = built_from_pdu(std::move(pdu), rules);
  if (built.row.json.size() > rooms::kMaxPduBytes) return core::fail(Errc::kTooLarge, "The signed event is too large");
  built.row.state_group_before = room.state_group;
  storage::StateMap before;
  for (const auto& [key, entry] : room.state) before[key] = entry.event_id;
  const std::set<std::string> joined_before = room.joined;
  write_path_.write(room, built);
  return join_answer(store_, rules, before, built.pdu, omit_members, joined_before, config_.server_name, key_);
}

core::Result<json::object> FederationJoins::answer_again(const RoomState& room, const storage::StoredEvent& join,
                                                         bool omit_members) {
  auto pdu = core::parse_json_object(join.json);
  if (!pdu) return core::fail(Errc::kInternal, "Stored event is not JSON");
  const storage::StateMap before = state_before(store_, join);
  std::set<std::string> joined_before;
  for (const auto& [key, id] : before)
    if (key.first == "m.room.member" && room.membership(key.second) == "join") joined_before.insert(key.second);
  return join_answer(store_, *room.rules, before, *pdu, omit_members, joined_before, config_.server_name, key_);
}

}  // namespace myelin::homeserver
