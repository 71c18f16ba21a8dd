// POST /_matrix/client/v3/rooms/{roomId}/upgrade (client-server-api/_index.md "Room Upgrades"):
// the replacement room is created with the old room's state carried over and the old room is
// tombstoned (before v12 the tombstone first, so that the new room's predecessor can name it),
// then the old room is restricted, and its publication, members' room push rules, direct-chat
// marks and aliases move.
#include <algorithm>
#include <optional>
#include <set>
#include <vector>

#include "core/ids.h"
#include "homeserver/membership/new_room.h"
#include "homeserver/membership/room_service.h"
#include "homeserver/push/push_rules.h"
#include "rooms/room_version.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

// Room-specific push rules (kind "room", rule ID = room ID) of the old room's members follow
// them to the replacement room, as clients expect after an upgrade (within each member's
// bound on push rules).
void copy_room_push_rules(storage::UserDataStore& store, const RoomState& old_room, const std::string& old_id,
                          const std::string& new_id, std::int64_t max_user_rules) {
  for (const auto& member : old_room.joined) {
    if (!store.account_data(member, "", "m.push_rules")) continue;
    json::object rules = load_push_rules(store, member);
    auto rule = find_rule(rules, "room", old_id);
    if (!rule) continue;
    json::object body{{"actions", (*rule)->at("actions")}};
    if (put_rule(rules, "room", new_id, body, std::nullopt, std::nullopt, max_user_rules))
      save_push_rules(store, member, rules);
  }
}

// Members who marked the old room as a direct chat (m.direct account data) have the new one
// marked too, next to it, unless that would take the entry over the account data size bound.
void copy_direct_rooms(storage::UserDataStore& store, const RoomState& old_room, const std::string& old_id,
                       const std::string& new_id) {
  constexpr std::size_t kMaxDirectBytes = 65536;
  for (const auto& member : old_room.joined) {
    auto text = store.account_data(member, "", "m.direct");
    if (!text) continue;
    auto direct = core::parse_json_object(*text);
    if (!direct) continue;
    bool changed = false;
    for (auto& [user, rooms] : *direct) {
      if (!rooms.is_array()) continue;
      json::array& list = rooms.as_array();
      const bool listed = std::ranges::find(list, json::value(old_id)) != list.end();
      if (listed && std::ranges::find(list, json::value(new_id)) == list.end()) {
        list.emplace_back(new_id);
        changed = true;
      }
    }
    if (!changed) continue;
    const std::string updated = core::canonical_json(*direct);
    if (updated.size() <= kMaxDirectBytes) store.set_account_data(member, "", "m.direct", updated);
  }
}

// The replacement room's creation content: the predecessor, the v12 creators, and the old
// room's m.federate and room type.
json::object replacement_creation_content(const RoomState& old_room, const rooms::RoomVersionRules& rules,
                                          const std::string& user_id,
                                          const std::vector<std::string>& additional_creators) {
  json::object content;
  content["predecessor"] = json::object{{"room_id", old_room.room_id}};  // event_id: upgrade() adds it
  // v12 creators are the upgrader and whoever the request names; they have no power level.
  std::set<std::string> creators{user_id};
  if (rules.creators_have_infinite_power && !additional_creators.empty()) {
    json::array extra;
    for (const auto& creator : additional_creators)
      if (creators.insert(creator).second) extra.emplace_back(creator);
    if (!extra.empty()) content["additional_creators"] = std::move(extra);
  }
  if (const json::object* create = old_room.content("m.room.create", "")) {
    if (auto it = create->find("m.federate"); it != create->end()) content["m.federate"] = it->value();
    if (auto it = create->find("type"); it != create->end()) content["type"] = it->value();
  }
  return content;
}

// The replacement room's state after the join: the old power levels (for v12 the creators
// taken out of `users`), the carried-over state events, the bans and the guest access. Before v12 the
// upgrader sends that state at a level of at least 100, and when that is above their old
// level a last m.room.power_levels puts the old levels back as they were.
void add_carried_state(RoomPlan& plan, const RoomState& old_room, const std::vector<std::string>& additional_creators) {
  std::optional<json::object> restore;
  if (const json::object* old_levels = old_room.content("m.room.power_levels", "")) {
    json::object levels = *old_levels;
    json::object users;
    if (auto it = levels.find("users"); it != levels.end() && it->value().is_object()) users = it->value().get_object();
    if (plan.rules->creators_have_infinite_power) {
      users.erase(plan.creator);
      for (const auto& creator : additional_creators) users.erase(creator);
    } else {
      const json::value* own = users.if_contains(plan.creator);
      if (!own || !own->is_int64() || own->as_int64() < 100) {
        restore = levels;
        users[plan.creator] = 100;
      }
    }
    levels["users"] = std::move(users);
    plan.add("m.room.power_levels", "", std::move(levels));
  }
  for (const char* type : {"m.room.join_rules", "m.room.history_visibility", "m.room.name", "m.room.topic",
                           "m.room.avatar", "m.room.encryption", "m.room.server_acl", "m.room.canonical_alias"}) {
    if (const json::object* content = old_room.content(type, "")) plan.add(type, "", *content);
  }
  // Bans stay bans in the new room, those the upgrader can make there: of users below the
  // level they send the state at (v12 creators have every power).
  const json::object* levels = old_room.content("m.room.power_levels", "");
  auto level_of = [levels](const std::string& user) -> std::int64_t {
    const json::value* users = levels ? levels->if_contains("users") : nullptr;
    const json::value* own = users && users->is_object() ? users->get_object().if_contains(user) : nullptr;
    const json::value* fallback = levels ? levels->if_contains("users_default") : nullptr;
    if (own && own->is_int64()) return own->as_int64();
    return fallback && fallback->is_int64() ? fallback->as_int64() : 0;
  };
  const std::int64_t upgrader = std::max<std::int64_t>(100, level_of(plan.creator));
  for (auto it = old_room.state.lower_bound({"m.room.member", ""});
       it != old_room.state.end() && it->first.first == "m.room.member"; ++it) {
    const std::string& user = it->first.second;
    if (old_room.membership(user) == "ban" && (plan.rules->creators_have_infinite_power || level_of(user) < upgrader))
      plan.add("m.room.member", user, json::object{{"membership", "ban"}});
  }
  // Guest access is stated explicitly in the new room: an old room without the event has the
  // spec's default, forbidden, and says so (clients and Synapse expect the event to be there).
  const json::object* guests = old_room.content("m.room.guest_access", "");
  plan.add("m.room.guest_access", "", guests ? *guests : json::object{{"guest_access", "forbidden"}});
  if (restore) plan.add("m.room.power_levels", "", std::move(*restore));
}

}  // namespace

core::Result<std::string> RoomService::upgrade(const core::UserId& user_id, const core::RoomId& room_id,
                                               const std::string& new_version,
                                               const std::vector<std::string>& additional_creators) {
  const rooms::RoomVersionRules* rules = rooms::find_room_version(new_version);
  if (!rules) return core::fail(Errc::kUnsupportedRoomVersion, "Unsupported room version " + new_version);
  std::shared_ptr<RoomState> old_room = rooms_.room(room_id);
  if (!old_room || old_room->membership(user_id.str()) != "join")
    return core::fail(Errc::kForbidden, "You are not in this room");
  // The upgrader must be able to send the tombstone; check before creating anything.
  {
    EventDraft probe{user_id, "m.room.tombstone", "", {{"body", "probe"}, {"replacement_room", "!probe"}}, {}};
    if (auto allowed = builder_.build(*old_room, probe); !allowed) return std::unexpected(allowed.error());
  }
  RoomPlan plan;
  plan.creator = user_id;
  plan.rules = rules;
  plan.creation_content = replacement_creation_content(*old_room, *rules, user_id, additional_creators);
  add_carried_state(plan, *old_room, additional_creators);
  plan.published = false;
  if (auto record = store_.room(room_id)) plan.published = record->published;
  const bool had_power_levels = old_room->content("m.room.power_levels", "") != nullptr;
  const json::object member = member_content(user_id, "join", "");
  if (rules->room_id_from_create_event) {
    // v12: the room ID is the create event's hash, so the new room comes first, and its
    // predecessor names no event.
    auto new_room = create_planned_room(builder_, store_, write_path_, config_.server_name, std::move(plan), member);
    if (!new_room) return new_room;
    auto tombstone = send_tombstone(user_id, room_id, *new_room);
    if (!tombstone) return std::unexpected(tombstone.error());
    retire_room(user_id, room_id, *new_room, had_power_levels);
    return new_room;
  }
  // Before v12 the new room's ID is chosen here, so the tombstone goes first and the new room's
  // predecessor names it, the old room's last event. The new room is built once before, so
  // that nothing is sent when its events would be refused.
  plan.room_id = "!" + core::random_string(18) + ":" + config_.server_name;
  if (auto checked = build_planned_room(builder_, store_, config_.server_name, plan, member); !checked)
    return std::unexpected(checked.error());
  auto tombstone = send_tombstone(user_id, room_id, plan.room_id);
  if (!tombstone) return std::unexpected(tombstone.error());
  plan.creation_content["predecessor"].as_object()["event_id"] = *tombstone;
  auto new_room = create_planned_room(builder_, store_, write_path_, config_.server_name, std::move(plan), member);
  if (!new_room) return new_room;
  retire_room(user_id, room_id, *new_room, had_power_levels);
  return new_room;
}

core::Result<std::string> RoomService::send_tombstone(const std::string& user_id, const core::RoomId& room_id,
                                                      const std::string& new_room) {
  auto tombstone = timeline_.send(
      room_id,
      {user_id, "m.room.tombstone", "", {{"body", "This room has been replaced"}, {"replacement_room", new_room}}, {}});
  if (!tombstone) return std::unexpected(tombstone.error());
  return tombstone->event_id;
}

void RoomService::retire_room(const std::string& user_id, const core::RoomId& room_id, const std::string& new_room,
                              bool restrict_power_levels) {
  // Restrict the old room: nobody below the upgrader's level may talk or invite any more.
  if (restrict_power_levels) {
    json::object levels = *rooms_.room(room_id)->content("m.room.power_levels", "");
    std::int64_t users_default = levels.contains("users_default") && levels.at("users_default").is_int64()
                                     ? levels.at("users_default").as_int64()
                                     : 0;
    std::int64_t restricted = std::max<std::int64_t>(50, users_default + 1);
    levels["events_default"] = restricted;
    levels["invite"] = restricted;
    (void)timeline_.send(room_id, {user_id, "m.room.power_levels", "", std::move(levels), {}});
  }
  if (auto record = store_.room(room_id); record && record->published) {
    directory_store_.set_room_published(room_id, false);
    directory_store_.set_room_published(new_room, true);
  }
  copy_room_push_rules(user_data_store_, *rooms_.room(room_id), room_id, new_room, push_config_.push_rules_per_user);
  copy_direct_rooms(user_data_store_, *rooms_.room(room_id), room_id, new_room);
  for (const auto& alias : directory_store_.room_aliases(room_id)) {
    std::string creator = directory_store_.alias_creator(alias).value_or(user_id);
    directory_store_.delete_alias(alias);
    directory_store_.create_alias(alias, new_room, creator);
  }
  // The old room no longer names the aliases, which lead to the new room now (that one has
  // the canonical alias event carried over).
  if (const json::object* alias = rooms_.room(room_id)->content("m.room.canonical_alias", ""); alias && !alias->empty())
    (void)timeline_.send(room_id, {user_id, "m.room.canonical_alias", "", json::object{}, {}});
}

}  // namespace myelin::homeserver
