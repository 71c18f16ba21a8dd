// POST /_matrix/client/v3/createRoom (client-server-api/_index.md "Creation"). The request is
// checked in the order its errors are reported: room_version, the string fields, visibility
// and preset, creation_content, invite, the alias, power_level_content_override, initial_state.
#include <algorithm>
#include <vector>

#include "core/ids.h"
#include "homeserver/membership/new_room.h"
#include "homeserver/membership/room_service.h"
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

core::Result<std::string> string_member(const json::object& request, std::string_view key) {
  auto it = request.find(key);
  if (it == request.end()) return std::string();
  if (!it->value().is_string()) return core::fail(Errc::kBadJson, std::string(key) + " must be a string");
  return std::string(it->value().get_string());
}

// The createRoom fields other than room_version, power levels and initial state, checked.
struct CreateRequest {
  std::string preset, name, topic, alias_name;
  bool published = false;
  bool is_direct = false;
  json::object creation_content;
  std::vector<std::string> invites;
};

core::Result<CreateRequest> parse_create_request(const json::object& request) {
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
  CreateRequest parsed{*preset, *name, *topic, *alias_name, *visibility == "public", false, {}, {}};

  if (auto it = request.find("creation_content"); it != request.end()) {
    if (!it->value().is_object()) return core::fail(Errc::kBadJson, "creation_content must be an object");
    parsed.creation_content = it->value().get_object();
  }
  if (auto it = request.find("invite"); it != request.end()) {
    if (!it->value().is_array()) return core::fail(Errc::kBadJson, "invite must be an array");
    for (const auto& v : it->value().get_array()) {
      if (!v.is_string() || !core::UserId::parse(v.get_string()))
        return core::fail(Errc::kInvalidParam, "invite must list user IDs");
      parsed.invites.emplace_back(v.get_string());
    }
  }
  if (auto it = request.find("is_direct"); it != request.end() && it->value().is_bool())
    parsed.is_direct = it->value().get_bool();
  return parsed;
}

// The room's power levels: the preset's defaults, the invitees of a trusted_private_chat as
// admins (v12: as additional creators, merged into plan.creation_content), then the request's
// override.
core::Result<json::object> initial_power_levels(RoomPlan& plan, const CreateRequest& parsed,
                                                const json::object& request) {
  json::object power_levels = default_power_levels(plan.creator, *plan.rules, parsed.preset);
  if (parsed.preset == "trusted_private_chat") {
    for (const auto& invitee : parsed.invites) {
      if (plan.rules->creators_have_infinite_power) continue;  // v12: see additional_creators
      power_levels["users"].as_object()[invitee] = 100;
    }
    // v1.16: the invitees are merged into the request's additional_creators (a value that is
    // not an array is left for the authorization rules to refuse).
    if (plan.rules->creators_have_infinite_power && !parsed.invites.empty()) {
      auto it = plan.creation_content.find("additional_creators");
      if (it == plan.creation_content.end())
        it = plan.creation_content.emplace("additional_creators", json::array{}).first;
      if (json::array* extra = it->value().if_array()) {
        for (const auto& invitee : parsed.invites)
          if (std::find(extra->begin(), extra->end(), json::value(invitee)) == extra->end())
            extra->emplace_back(invitee);
      }
    }
  }
  if (auto it = request.find("power_level_content_override"); it != request.end()) {
    if (!it->value().is_object()) return core::fail(Errc::kBadJson, "power_level_content_override must be an object");
    merge_into(power_levels, it->value().get_object());
  }
  return power_levels;
}

// Encryption by default (rooms.encryption_by_default), unless initial_state brings its own.
// "direct" covers what no client lets a person decide room by room: direct messages.
bool encrypt_by_default(const std::string& setting, const CreateRequest& parsed, const json::object& request) {
  const bool direct = parsed.is_direct || parsed.preset == "trusted_private_chat";
  if (!(setting == "all" || (setting == "invite" && (direct || parsed.preset == "private_chat")) ||
        (setting == "direct" && direct)))
    return false;
  bool own = false;
  if (auto it = request.find("initial_state"); it != request.end() && it->value().is_array())
    for (const auto& v : it->value().get_array())
      own |= v.is_object() && v.get_object().contains("type") && v.get_object().at("type") == "m.room.encryption";
  return !own;
}

// The preset's join rule, history visibility and guest access, and encryption by default.
void add_preset_state(RoomPlan& plan, const CreateRequest& parsed, const json::object& request,
                      const std::string& encryption_by_default) {
  plan.add("m.room.join_rules", "", {{"join_rule", parsed.preset == "public_chat" ? "public" : "invite"}});
  plan.add("m.room.history_visibility", "", {{"history_visibility", "shared"}});
  if (parsed.preset != "public_chat") plan.add("m.room.guest_access", "", {{"guest_access", "can_join"}});
  if (encrypt_by_default(encryption_by_default, parsed, request))
    plan.add("m.room.encryption", "", {{"algorithm", "m.megolm.v1.aes-sha2"}});
}

core::Status add_initial_state(RoomPlan& plan, const json::object& request) {
  auto it = request.find("initial_state");
  if (it == request.end()) return {};
  if (!it->value().is_array()) return core::fail(Errc::kBadJson, "initial_state must be an array");
  for (const auto& v : it->value().get_array()) {
    if (!v.is_object()) return core::fail(Errc::kBadJson, "initial_state entries must be objects");
    const auto& entry = v.get_object();
    auto type = entry.if_contains("type");
    auto content = entry.if_contains("content");
    auto state_key = entry.if_contains("state_key");
    if (!type || !type->is_string() || !content || !content->is_object() || (state_key && !state_key->is_string()))
      return core::fail(Errc::kBadJson, "initial_state entries need type, state_key and content");
    plan.add(std::string(type->get_string()), state_key ? std::string(state_key->get_string()) : "",
             content->get_object());
  }
  return {};
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

core::Result<std::string> RoomService::new_alias(const std::string& creator, const std::string& alias_name) {
  std::string alias = "#" + alias_name + ":" + config_.server_name;
  if (!core::RoomAlias::parse(alias)) return core::fail(Errc::kInvalidParam, "Invalid room_alias_name");
  if (directory_store_.alias_room(alias)) return core::fail(Errc::kRoomInUse, "Room alias already taken");
  if (auto ok = core::within_limit(directory_store_.alias_count(creator) + 1, timeline_config_.aliases_per_user,
                                   "room aliases");
      !ok)
    return std::unexpected(ok.error());
  return alias;
}

core::Result<std::string> RoomService::create_room(const core::UserId& creator, const json::object& request) {
  RoomPlan plan;
  plan.creator = creator;
  auto version = string_member(request, "room_version");
  if (!version) return std::unexpected(version.error());
  if (version->empty()) *version = config_.default_room_version;
  plan.rules = rooms::find_room_version(*version);
  if (!plan.rules) return core::fail(Errc::kUnsupportedRoomVersion, "Unsupported room version " + *version);

  auto parsed = parse_create_request(request);
  if (!parsed) return std::unexpected(parsed.error());
  plan.published = parsed->published;
  plan.creation_content = std::move(parsed->creation_content);
  std::string alias;
  if (!parsed->alias_name.empty()) {
    auto checked = new_alias(creator, parsed->alias_name);
    if (!checked) return checked;
    alias = std::move(*checked);
  }
  auto power_levels = initial_power_levels(plan, *parsed, request);
  if (!power_levels) return std::unexpected(power_levels.error());
  plan.add("m.room.power_levels", "", std::move(*power_levels));
  if (!alias.empty()) plan.add("m.room.canonical_alias", "", {{"alias", alias}});
  add_preset_state(plan, *parsed, request, config_.encryption_by_default);
  if (auto added = add_initial_state(plan, request); !added) return std::unexpected(added.error());
  if (!parsed->name.empty()) plan.add("m.room.name", "", {{"name", parsed->name}});
  if (!parsed->topic.empty()) plan.add("m.room.topic", "", {{"topic", parsed->topic}});
  for (const auto& invitee : parsed->invites) {
    json::object content = member_content(invitee, "invite", "");
    if (parsed->is_direct) content["is_direct"] = true;
    plan.add("m.room.member", invitee, std::move(content));
  }

  auto room_id = create_planned_room(builder_, store_, write_path_, config_.server_name, std::move(plan),
                                     member_content(creator, "join", ""));
  if (!room_id) return room_id;
  if (!alias.empty()) directory_store_.create_alias(alias, *room_id, creator);
  return room_id;
}

}  // namespace myelin::homeserver
