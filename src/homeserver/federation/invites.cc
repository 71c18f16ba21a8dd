#include "homeserver/federation/invites.h"

#include <algorithm>

#include "core/ids.h"
#include "rooms/event_format.h"
#include "rooms/pdu_format.h"
#include "rooms/room_version.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

std::string_view server_of(std::string_view user_id) {
  const auto colon = user_id.find(':');
  return colon == std::string_view::npos ? std::string_view() : user_id.substr(colon + 1);
}

constexpr std::size_t kMaxInviteStateBytes = 65536;

}  // namespace

json::array stripped_state_of(const json::value* value) {
  json::array out;
  std::size_t bytes = 0;
  if (!value || !value->is_array()) return out;
  for (const json::value& item : value->get_array()) {
    if (out.size() == FederationInvites::kMaxInviteState) break;
    const json::object* event = item.if_object();
    if (!event) continue;
    const json::value* content = event->if_contains("content");
    bool valid = content && content->is_object();
    for (const char* key : {"type", "state_key", "sender"}) {
      const json::value* field = event->if_contains(key);
      valid = valid && field && field->is_string();
    }
    if (!valid) continue;
    json::object kept{{"type", event->at("type")},
                      {"state_key", event->at("state_key")},
                      {"sender", event->at("sender")},
                      {"content", *content}};
    bytes += core::canonical_json(kept).size();
    if (bytes > kMaxInviteStateBytes) break;
    out.push_back(std::move(kept));
  }
  return out;
}

BuiltEvent built_from_pdu(json::object pdu, const rooms::RoomVersionRules& rules) {
  BuiltEvent built;
  storage::NewEvent& row = built.row;
  row.event_id = rooms::event_id_of(pdu, rules);
  row.room_id = std::string(string_field(pdu, "room_id"));
  row.type = std::string(string_field(pdu, "type"));
  if (const json::value* key = pdu.if_contains("state_key"); key && key->is_string())
    row.state_key = std::string(key->get_string());
  row.sender = std::string(string_field(pdu, "sender"));
  row.depth = pdu.at("depth").to_number<std::int64_t>();
  row.origin_server_ts = pdu.at("origin_server_ts").to_number<std::int64_t>();
  row.json = core::canonical_json(pdu);
  for (std::string_view prev : rooms::referenced_event_ids(pdu, "prev_events", rules))
    row.prev_events.emplace_back(prev);
  built.pdu = std::move(pdu);
  return built;
}

core::Status FederationInvites::check_invite(const std::string& origin, const std::string& room_id,
                                             const std::string& event_id, const json::object& pdu,
                                             const rooms::RoomVersionRules& rules) {
  if (auto format = rooms::check_pdu_format(pdu, rules); !format)
    return core::fail(Errc::kBadJson, format.error().message);
  if (rooms::event_id_of(pdu, rules) != event_id) return core::fail(Errc::kInvalidParam, "The event ID does not match");
  if (string_field(pdu, "room_id") != room_id) return core::fail(Errc::kInvalidParam, "The event is of another room");
  if (string_field(pdu, "type") != "m.room.member")
    return core::fail(Errc::kInvalidParam, "The event is not an m.room.member event");
  const json::value* content = pdu.if_contains("content");
  if (!content || !content->is_object() || string_field(content->get_object(), "membership") != "invite")
    return core::fail(Errc::kInvalidParam, "The event is not an invite");
  if (server_of(string_field(pdu, "sender")) != origin)
    return core::fail(Errc::kInvalidParam, "The invite's sender is not of the requesting server");
  const std::string invitee(string_field(pdu, "state_key"));
  auto user = core::UserId::parse(invitee);
  if (!user || user->server() != config_.server_name || !accounts_.user(invitee))
    return core::fail(Errc::kInvalidParam, "The invitee is not a user of this server");
  return {};
}

void FederationInvites::receive(const std::string& origin, const std::string& room_id, const std::string& event_id,
                                json::object body, std::function<void(core::Result<json::object>)> done) {
  const json::value* version = body.if_contains("room_version");
  const json::value* event = body.if_contains("event");
  if (!version || !version->is_string() || !event || !event->is_object())
    return done(core::fail(Errc::kBadJson, "room_version and event are required"));
  const rooms::RoomVersionRules* rules = rooms::find_room_version(version->get_string());
  if (!rules) {
    core::Error error =
        core::make_error(Errc::kIncompatibleRoomVersion, "This server does not support the room version");
    error.extra["room_version"] = version->get_string();
    return done(std::unexpected(std::move(error)));
  }
  json::object pdu = event->get_object();
  if (auto checked = check_invite(origin, room_id, event_id, pdu, *rules); !checked)
    return done(std::unexpected(checked.error()));
  json::array stripped = stripped_state_of(body.if_contains("invite_room_state"));
  std::vector<KeyNeed> needs = signing_keys_needed(pdu, *rules);
  keys_.fetch(std::move(needs), [this, rules, pdu = std::move(pdu), stripped = std::move(stripped),
                                 done = std::move(done)](KeyLookup lookup) mutable {
    if (auto verified = verify_pdu_signatures(pdu, *rules, lookup); !verified)
      return done(std::unexpected(verified.error()));
    rooms::add_event_signature(pdu, *rules, config_.server_name, key_);
    json::object answer{{"event", pdu}};
    store(*rules, std::move(pdu), std::move(stripped));
    done(std::move(answer));
  });
}

void FederationInvites::receive_v1(const std::string& origin, const std::string& room_id, const std::string& event_id,
                                   json::object event, std::function<void(core::Result<json::object>)> done) {
  json::array stripped;
  if (const json::value* extra = event.if_contains("unsigned"); extra && extra->is_object())
    stripped = stripped_state_of(extra->get_object().if_contains("invite_room_state"));
  const bool second = std::ranges::any_of(stripped, [](const json::value& item) {
    const json::object& state = item.get_object();
    return string_field(state, "type") == "m.room.create" &&
           string_field(state.at("content").get_object(), "room_version") == "2";
  });
  receive(origin, room_id, event_id,
          json::object{{"room_version", second ? "2" : "1"},
                       {"event", std::move(event)},
                       {"invite_room_state", std::move(stripped)}},
          std::move(done));
}

void FederationInvites::store(const rooms::RoomVersionRules& rules, json::object pdu, json::array stripped) {
  const std::string room_id(string_field(pdu, "room_id"));
  std::shared_ptr<RoomState> known = rooms_.room(room_id);
  const std::string suffix = ":" + config_.server_name;
  if (known && std::ranges::any_of(known->joined, [&suffix](const std::string& u) { return u.ends_with(suffix); }))
    return;  // resident: the invite comes through /send like any event
  const StateEntry* current = known ? known->find("m.room.member", string_field(pdu, "state_key")) : nullptr;
  if (current && current->event_id == rooms::event_id_of(pdu, rules)) return;  // a retried invite
  pdu.erase("unsigned");                                                       // the sender's, unchecked
  write_with_room_state(rooms_, write_path_, rules, std::move(pdu), std::move(stripped), "invite_room_state");
}

void write_with_room_state(RoomCache& rooms, WritePath& write_path, const rooms::RoomVersionRules& rules,
                           json::object pdu, json::array stripped, std::string_view key) {
  std::string creator(string_field(pdu, "sender"));
  for (const json::value& item : stripped)
    if (string_field(item.get_object(), "type") == "m.room.create")
      creator = std::string(string_field(item.get_object(), "sender"));
  json::value& extra = pdu["unsigned"];
  if (!extra.is_object()) extra = json::object{};
  extra.as_object()[key] = std::move(stripped);
  write_out_of_room(rooms, write_path, rules, std::move(pdu), creator);
}

void write_out_of_room(RoomCache& rooms, WritePath& write_path, const rooms::RoomVersionRules& rules, json::object pdu,
                       const std::string& creator) {
  BuiltEvent built = built_from_pdu(std::move(pdu), rules);
  storage::StateMap before;
  if (std::shared_ptr<RoomState> known = rooms.room(built.row.room_id))
    for (const auto& [key, entry] : known->state) before[key] = entry.event_id;
  built.row.current_state = before;
  (*built.row.current_state)[{"m.room.member", *built.row.state_key}] = built.row.event_id;
  built.row.state_before = std::move(before);
  built.row.prev_events.clear();  // not ours to retire: we have none of them
  write_path.write_remote_join({built.row.room_id, std::string(rules.id), creator, false}, built);
}

}  // namespace myelin::homeserver
