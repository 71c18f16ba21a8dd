// POST /_matrix/client/v3/createRoom (client-server-api/_index.md "Creation") and
// POST /_matrix/client/v3/rooms/{roomId}/upgrade ("Room Upgrades").
#include <algorithm>
#include <set>
#include <vector>

#include "core/clock.h"
#include "core/ids.h"
#include "homeserver/push/push_rules.h"
#include "homeserver/membership/room_service.h"
#include "rooms/auth.h"
#include "rooms/room_version.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

json::object default_power_levels(const std::string& creator, const rooms::RoomVersionRules& rules,
                                  const std::string& preset) {
  json::object users;
  if (!rules.creators_have_infinite_power) users[creator] = 100;
  return json::object{
      {"users", std::move(users)},
      {"users_default", 0},
      {"events",
       {{"m.room.name", 50},
        {"m.room.power_levels", 100},
        {"m.room.history_visibility", 100},
        {"m.room.canonical_alias", 50},
        {"m.room.avatar", 50},
        // v12 (v1.16): above state_default, and above the 100 that admins get, so that only
        // creators may upgrade by default.
        {"m.room.tombstone", rules.creators_have_infinite_power ? 150 : 100},
        {"m.room.server_acl", 100},
        {"m.room.encryption", 100}}},
      {"events_default", 0},
      {"state_default", 50},
      {"ban", 50},
      {"kick", 50},
      {"redact", 50},
      {"invite", preset == "public_chat" ? 50 : 0},
      {"notifications", {{"room", 50}}},
  };
}

// Shallow-merges `override` into `base` (the spec: "overrides the default state").
void merge_into(json::object& base, const json::object& override_with) {
  for (const auto& field : override_with) base[field.key()] = field.value();
}

struct Plan {
  std::string creator;
  const rooms::RoomVersionRules* rules = nullptr;
  json::object creation_content;
  std::vector<EventDraft> after_create;   // events after the creator's join
  bool published = false;
};

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

}  // namespace

json::object RoomService::member_content(const std::string& user_id, const std::string& membership,
                                         const std::string& reason) {
  json::object content{{"membership", membership}};
  if (auto user = account_store_.user(user_id)) {
    if (!user->displayname.empty()) content["displayname"] = user->displayname;
    if (!user->avatar_url.empty()) content["avatar_url"] = user->avatar_url;
  }
  if (!reason.empty()) content["reason"] = reason;
  return content;
}

namespace {

core::Result<std::string> create_planned(storage::EventStore& store, Timeline& timeline, const std::string& server, Plan plan,
                                         json::object creator_member) {
  auto room = std::make_unique<RoomState>();
  room->rules = plan.rules;
  if (!plan.rules->room_id_from_create_event) room->room_id = "!" + core::random_string(18) + ":" + server;

  json::object create_content = std::move(plan.creation_content);
  create_content["room_version"] = std::string(plan.rules->id);
  if (!plan.rules->updated_redaction_rules) create_content["creator"] = plan.creator;

  std::vector<EventDraft> drafts;
  drafts.push_back({plan.creator, "m.room.create", "", std::move(create_content), {}});
  drafts.push_back({plan.creator, "m.room.member", plan.creator, std::move(creator_member), {}});
  for (auto& draft : plan.after_create) drafts.push_back(std::move(draft));

  // v12 room IDs are the create event's hash: two identical creations in the same millisecond
  // would collide, so the create event's timestamp moves on until its room ID is new.
  drafts.front().origin_server_ts = core::now_ms();
  std::vector<BuiltEvent> built;
  for (const auto& draft : drafts) {
    auto event = timeline.build(*room, draft);
    if (!event) return std::unexpected(event.error());
    while (built.empty() && store.room(event->row.room_id)) {
      ++drafts.front().origin_server_ts;
      event = timeline.build(*room, drafts.front());
      if (!event) return std::unexpected(event.error());
    }
    if (built.empty()) room->room_id = event->row.room_id;
    event->row.room_id = room->room_id;
    event->row.state_group_before = built.empty() ? 0 : storage::kStateGroupOfPrevious;
    timeline.apply(*room, *event, storage::Persisted{0, 0});
    built.push_back(std::move(*event));
  }
  storage::RoomRecord record{room->room_id, std::string(plan.rules->id), plan.creator, plan.published};
  std::string room_id = room->room_id;
  if (auto stored = timeline.persist_new_room(std::move(room), std::move(built), record); !stored)
    return std::unexpected(stored.error());
  return room_id;
}

core::Result<std::string> string_member(const json::object& request, std::string_view key) {
  auto it = request.find(key);
  if (it == request.end()) return std::string();
  if (!it->value().is_string()) return core::fail(Errc::kBadJson, std::string(key) + " must be a string");
  return std::string(it->value().get_string());
}

}  // namespace

core::Result<std::string> RoomService::create_room(const std::string& creator,
                                                   const json::object& request) {
  Plan plan;
  plan.creator = creator;
  auto version = string_member(request, "room_version");
  if (!version) return std::unexpected(version.error());
  if (version->empty()) *version = config_.default_room_version;
  plan.rules = rooms::find_room_version(*version);
  if (!plan.rules) return core::fail(Errc::kUnsupportedRoomVersion, "Unsupported room version " + *version);

  auto visibility = string_member(request, "visibility");
  auto preset = string_member(request, "preset");
  auto name = string_member(request, "name");
  auto topic = string_member(request, "topic");
  auto alias_name = string_member(request, "room_alias_name");
  for (auto* field : {&visibility, &preset, &name, &topic, &alias_name})
    if (!*field) return std::unexpected(field->error());
  if (!visibility->empty() && *visibility != "public" && *visibility != "private")
    return core::fail(Errc::kBadJson, "visibility must be public or private");
  if (preset->empty()) *preset = *visibility == "public" ? "public_chat" : "private_chat";
  if (*preset != "public_chat" && *preset != "private_chat" && *preset != "trusted_private_chat")
    return core::fail(Errc::kBadJson, "Unknown preset");
  plan.published = *visibility == "public";

  if (auto it = request.find("creation_content"); it != request.end()) {
    if (!it->value().is_object()) return core::fail(Errc::kBadJson, "creation_content must be an object");
    plan.creation_content = it->value().get_object();
  }
  std::vector<std::string> invites;
  if (auto it = request.find("invite"); it != request.end()) {
    if (!it->value().is_array()) return core::fail(Errc::kBadJson, "invite must be an array");
    for (const auto& v : it->value().get_array()) {
      if (!v.is_string() || !core::UserId::parse(v.get_string()))
        return core::fail(Errc::kInvalidParam, "invite must list user IDs");
      invites.emplace_back(v.get_string());
    }
  }
  bool is_direct = false;
  if (auto it = request.find("is_direct"); it != request.end() && it->value().is_bool())
    is_direct = it->value().get_bool();

  std::string alias;
  if (!alias_name->empty()) {
    alias = "#" + *alias_name + ":" + config_.server_name;
    if (!core::RoomAlias::parse(alias)) return core::fail(Errc::kInvalidParam, "Invalid room_alias_name");
    if (directory_store_.alias_room(alias)) return core::fail(Errc::kRoomInUse, "Room alias already taken");
    if (auto ok = core::within_limit(directory_store_.alias_count(creator) + 1, config_.aliases_per_user,
                                     "room aliases");
        !ok)
      return std::unexpected(ok.error());
  }

  json::object power_levels = default_power_levels(creator, *plan.rules, *preset);
  if (*preset == "trusted_private_chat") {
    for (const auto& invitee : invites) {
      if (plan.rules->creators_have_infinite_power) continue;  // v12: see additional_creators
      power_levels["users"].as_object()[invitee] = 100;
    }
    // v1.16: the invitees are merged into the request's additional_creators (a value that is
    // not an array is left for the authorization rules to refuse).
    if (plan.rules->creators_have_infinite_power && !invites.empty()) {
      auto it = plan.creation_content.find("additional_creators");
      if (it == plan.creation_content.end()) it = plan.creation_content.emplace("additional_creators", json::array{}).first;
      if (json::array* extra = it->value().if_array()) {
        for (const auto& invitee : invites)
          if (std::find(extra->begin(), extra->end(), json::value(invitee)) == extra->end()) extra->emplace_back(invitee);
      }
    }
  }
  if (auto it = request.find("power_level_content_override"); it != request.end()) {
    if (!it->value().is_object()) return core::fail(Errc::kBadJson, "power_level_content_override must be an object");
    merge_into(power_levels, it->value().get_object());
  }
  auto add = [&plan, &creator](std::string type, std::string state_key, json::object content) {
    plan.after_create.push_back({creator, std::move(type), std::move(state_key), std::move(content), {}});
  };
  add("m.room.power_levels", "", std::move(power_levels));
  if (!alias.empty()) add("m.room.canonical_alias", "", {{"alias", alias}});
  add("m.room.join_rules", "", {{"join_rule", *preset == "public_chat" ? "public" : "invite"}});
  add("m.room.history_visibility", "", {{"history_visibility", "shared"}});
  if (*preset != "public_chat") add("m.room.guest_access", "", {{"guest_access", "can_join"}});
  // Encryption by default (rooms.encryption_by_default), unless initial_state brings its own.
  // "direct" covers what no client lets a person decide room by room: direct messages.
  const std::string& encrypt = config_.encryption_by_default;
  const bool direct = is_direct || *preset == "trusted_private_chat";
  if (encrypt == "all" || (encrypt == "invite" && (direct || *preset == "private_chat")) ||
      (encrypt == "direct" && direct)) {
    bool own = false;
    if (auto it = request.find("initial_state"); it != request.end() && it->value().is_array())
      for (const auto& v : it->value().get_array())
        own |= v.is_object() && v.get_object().contains("type") && v.get_object().at("type") == "m.room.encryption";
    if (!own) add("m.room.encryption", "", {{"algorithm", "m.megolm.v1.aes-sha2"}});
  }

  if (auto it = request.find("initial_state"); it != request.end()) {
    if (!it->value().is_array()) return core::fail(Errc::kBadJson, "initial_state must be an array");
    for (const auto& v : it->value().get_array()) {
      if (!v.is_object()) return core::fail(Errc::kBadJson, "initial_state entries must be objects");
      const auto& entry = v.get_object();
      auto type = entry.if_contains("type");
      auto content = entry.if_contains("content");
      auto state_key = entry.if_contains("state_key");
      if (!type || !type->is_string() || !content || !content->is_object() ||
          (state_key && !state_key->is_string()))
        return core::fail(Errc::kBadJson, "initial_state entries need type, state_key and content");
      add(std::string(type->get_string()), state_key ? std::string(state_key->get_string()) : "",
          content->get_object());
    }
  }
  if (!name->empty()) add("m.room.name", "", {{"name", *name}});
  if (!topic->empty()) add("m.room.topic", "", {{"topic", *topic}});
  for (const auto& invitee : invites) {
    json::object content = member_content(invitee, "invite", "");
    if (is_direct) content["is_direct"] = true;
    add("m.room.member", invitee, std::move(content));
  }

  auto room_id = create_planned(store_, timeline_, config_.server_name, std::move(plan), member_content(creator, "join", ""));
  if (!room_id) return room_id;
  if (!alias.empty()) directory_store_.create_alias(alias, *room_id, creator);
  return room_id;
}

core::Result<std::string> RoomService::upgrade(const std::string& user_id, const std::string& room_id,
                                               const std::string& new_version,
                                               const std::vector<std::string>& additional_creators) {
  const rooms::RoomVersionRules* rules = rooms::find_room_version(new_version);
  if (!rules) return core::fail(Errc::kUnsupportedRoomVersion, "Unsupported room version " + new_version);
  RoomState* old_room = timeline_.room(room_id);
  if (!old_room || old_room->membership(user_id) != "join")
    return core::fail(Errc::kForbidden, "You are not in this room");
  // The upgrader must be able to send the tombstone; check before creating anything.
  {
    EventDraft probe{user_id, "m.room.tombstone", "", {{"body", "probe"}, {"replacement_room", "!probe"}}, {}};
    if (auto allowed = timeline_.build(*old_room, probe); !allowed) return std::unexpected(allowed.error());
  }
  Plan plan;
  plan.creator = user_id;
  plan.rules = rules;
  json::object predecessor{{"room_id", room_id}};
  if (!rules->room_id_from_create_event && !old_room->extremities.empty())
    predecessor["event_id"] = old_room->extremities.front().event_id;
  plan.creation_content["predecessor"] = std::move(predecessor);
  // v12 creators are the upgrader and whoever the request names; they have no power level.
  std::set<std::string> creators{user_id};
  if (rules->creators_have_infinite_power && !additional_creators.empty()) {
    json::array extra;
    for (const auto& creator : additional_creators)
      if (creators.insert(creator).second) extra.emplace_back(creator);
    if (!extra.empty()) plan.creation_content["additional_creators"] = std::move(extra);
  }
  if (const json::object* create = old_room->content("m.room.create", "")) {
    if (auto it = create->find("m.federate"); it != create->end()) plan.creation_content["m.federate"] = it->value();
    if (auto it = create->find("type"); it != create->end()) plan.creation_content["type"] = it->value();
  }
  const json::object* old_levels = old_room->content("m.room.power_levels", "");
  if (old_levels) {
    json::object levels = *old_levels;
    json::object users;
    if (auto it = levels.find("users"); it != levels.end() && it->value().is_object()) users = it->value().get_object();
    if (rules->creators_have_infinite_power)
      for (const auto& creator : creators) users.erase(creator);
    else
      users[user_id] = 100;
    levels["users"] = std::move(users);
    plan.after_create.push_back({user_id, "m.room.power_levels", "", std::move(levels), {}});
  }
  for (const char* type : {"m.room.join_rules", "m.room.history_visibility", "m.room.guest_access",
                           "m.room.name", "m.room.topic", "m.room.avatar", "m.room.encryption",
                           "m.room.server_acl", "m.room.canonical_alias"}) {
    if (const json::object* content = old_room->content(type, ""))
      plan.after_create.push_back({user_id, type, "", *content, {}});
  }
  plan.published = false;
  if (auto record = store_.room(room_id)) plan.published = record->published;
  auto new_room = create_planned(store_, timeline_, config_.server_name, std::move(plan), member_content(user_id, "join", ""));
  if (!new_room) return new_room;

  old_room = timeline_.room(room_id);
  auto tombstone = timeline_.send(room_id, {user_id, "m.room.tombstone", "",
                                            {{"body", "This room has been replaced"},
                                             {"replacement_room", *new_room}}, {}});
  if (!tombstone) return std::unexpected(tombstone.error());
  // Restrict the old room: nobody below the upgrader's level may talk or invite any more.
  if (old_levels) {
    json::object levels = *timeline_.room(room_id)->content("m.room.power_levels", "");
    std::int64_t users_default = levels.contains("users_default") && levels.at("users_default").is_int64()
                                     ? levels.at("users_default").as_int64() : 0;
    std::int64_t restricted = std::max<std::int64_t>(50, users_default + 1);
    levels["events_default"] = restricted;
    levels["invite"] = restricted;
    (void)timeline_.send(room_id, {user_id, "m.room.power_levels", "", std::move(levels), {}});
  }
  if (auto record = store_.room(room_id); record && record->published) {
    directory_store_.set_room_published(room_id, false);
    directory_store_.set_room_published(*new_room, true);
  }
  copy_room_push_rules(user_data_store_, *timeline_.room(room_id), room_id, *new_room,
                       push_config_.push_rules_per_user);
  for (const auto& alias : directory_store_.room_aliases(room_id)) {
    std::string creator = directory_store_.alias_creator(alias).value_or(user_id);
    directory_store_.delete_alias(alias);
    directory_store_.create_alias(alias, *new_room, creator);
  }
  return new_room;
}

}  // namespace myelin::homeserver
