#include "homeserver/timeline/room_directory.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "rooms/auth.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

core::Error alias_not_found(const std::string& alias) {
  return core::make_error(Errc::kNotFound, "Room alias " + alias + " not found");
}

// True when `user_id` is joined and may send the state event `type` (the power the spec's
// directory endpoints leave to the server; myelin uses m.room.canonical_alias).
bool may_send_state(const RoomState& room, const std::string& user_id, std::string_view type) {
  const json::object* create = room.pdu("m.room.create", "");
  if (!create || !room.rules || room.membership(user_id) != "join") return false;
  rooms::PowerLevels levels(room.content("m.room.power_levels", ""), *create, *room.rules);
  return levels.at_least(user_id, levels.event_level(type, true));
}

bool world_readable(const RoomState& room) {
  const json::object* visibility = room.content("m.room.history_visibility", "");
  return visibility && string_field(*visibility, "history_visibility") == "world_readable";
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The spec's PublishedRoomsChunk for one room.
json::object room_chunk(const RoomState& room) {
  json::object chunk{{"room_id", room.room_id}, {"num_joined_members", static_cast<std::int64_t>(room.joined.size())}};
  auto copy = [&](const char* type, const char* field, const char* key) {
    if (const json::object* content = room.content(type, "")) {
      if (auto value = string_field(*content, field); !value.empty()) chunk[key] = value;
    }
  };
  copy("m.room.name", "name", "name");
  copy("m.room.topic", "topic", "topic");
  copy("m.room.canonical_alias", "alias", "canonical_alias");
  copy("m.room.avatar", "url", "avatar_url");
  copy("m.room.join_rules", "join_rule", "join_rule");
  copy("m.room.create", "type", "room_type");
  chunk["world_readable"] = world_readable(room);
  const json::object* guests = room.content("m.room.guest_access", "");
  chunk["guest_can_join"] = guests && string_field(*guests, "guest_access") == "can_join";
  return chunk;
}

bool matches(const json::object& chunk, const DirectoryQuery& query) {
  if (query.room_types && !query.room_types->empty()) {
    std::optional<std::string> type;
    if (auto value = chunk.if_contains("room_type")) type = std::string(value->get_string());
    if (std::find(query.room_types->begin(), query.room_types->end(), type) == query.room_types->end()) return false;
  }
  if (query.search.empty()) return true;
  for (const char* key : {"name", "topic", "canonical_alias"}) {
    if (auto value = chunk.if_contains(key);
        value && lower(value->get_string()).find(query.search) != std::string::npos)
      return true;
  }
  return false;
}

// One page of the ordered listing `rooms` (largest rooms first, then by room ID, so that
// offsets are stable between pages).
json::object page_of(std::vector<json::object> rooms, std::int64_t total, const DirectoryQuery& query) {
  std::sort(rooms.begin(), rooms.end(), [](const json::object& a, const json::object& b) {
    const auto na = a.at("num_joined_members").as_int64(), nb = b.at("num_joined_members").as_int64();
    if (na != nb) return na > nb;
    return a.at("room_id").as_string() < b.at("room_id").as_string();
  });
  const std::size_t begin = std::min(query.offset, rooms.size());
  const std::size_t end = std::min(rooms.size(), begin + static_cast<std::size_t>(query.limit));
  json::array chunk;
  for (std::size_t i = begin; i < end; ++i) chunk.emplace_back(std::move(rooms[i]));
  json::object response{{"chunk", std::move(chunk)}, {"total_room_count_estimate", total}};
  if (end < rooms.size()) response["next_batch"] = "o" + std::to_string(end);
  if (begin > 0) {
    const std::size_t previous = begin > static_cast<std::size_t>(query.limit) ? begin - query.limit : 0;
    response["prev_batch"] = "o" + std::to_string(previous);
  }
  return response;
}

// Pagination tokens are "o<offset>" into the ordered listing.
std::optional<std::size_t> parse_since(std::string_view token) {
  if (token.size() < 2 || token[0] != 'o') return std::nullopt;
  std::size_t offset = 0;
  auto [end, ec] = std::from_chars(token.data() + 1, token.data() + token.size(), offset);
  if (ec != std::errc() || end != token.data() + token.size()) return std::nullopt;
  return offset;
}

// The join rule's allow list: the rooms whose members may join a restricted room.
std::vector<std::string> allowed_room_ids(const json::object& join_rules) {
  std::vector<std::string> out;
  const json::value* allow = join_rules.if_contains("allow");
  if (!allow || !allow->is_array()) return out;
  for (const auto& entry : allow->get_array()) {
    if (!entry.is_object() || string_field(entry.get_object(), "type") != "m.room_membership") continue;
    if (auto room_id = string_field(entry.get_object(), "room_id"); core::is_valid_room_id(room_id))
      out.emplace_back(room_id);
  }
  return out;
}

// The summary's fields beyond the directory's chunk: version, encryption, the allow list.
void add_summary_fields(const RoomState& room, json::object& summary) {
  summary["room_version"] = std::string(room.rules->id);
  if (const json::object* encryption = room.content("m.room.encryption", "")) {
    if (auto algorithm = string_field(*encryption, "algorithm"); algorithm == "m.megolm.v1.aes-sha2")
      summary["encryption"] = algorithm;
  }
  if (const json::object* join_rules = room.content("m.room.join_rules", "")) {
    const auto rule = string_field(*join_rules, "join_rule");
    if (rule == "restricted" || rule == "knock_restricted") {
      json::array allowed;
      for (const auto& id : allowed_room_ids(*join_rules)) allowed.emplace_back(id);
      summary["allowed_room_ids"] = std::move(allowed);
    }
  }
}

}  // namespace

json::object room_summary_fields(const RoomState& room) {
  json::object summary = room_chunk(room);
  add_summary_fields(room, summary);
  return summary;
}

bool JoinedRooms::any_of(const std::vector<std::string>& room_ids) {
  if (room_ids.empty()) return false;
  if (!joined_) {
    // One indexed read of the caller's rooms, however many rooms ask.
    joined_.emplace();
    for (const auto& membership : store_.user_memberships(user_id_))
      if (membership.membership == "join") joined_->insert(membership.room_id);
  }
  return std::any_of(room_ids.begin(), room_ids.end(), [&](const std::string& id) { return joined_->contains(id); });
}

bool may_preview(const RoomState& room, std::string_view membership, JoinedRooms* joined) {
  const json::object* join_rules = room.content("m.room.join_rules", "");
  const std::string_view rule = join_rules ? string_field(*join_rules, "join_rule") : "";
  if (rule == "public" || rule == "knock" || rule == "knock_restricted") return true;
  if (world_readable(room)) return true;
  if (!joined) return false;
  if (membership == "join" || membership == "invite" || membership == "knock") return true;
  return rule == "restricted" && joined->any_of(allowed_room_ids(*join_rules));
}

core::Result<core::RoomAlias> parse_room_alias(const std::string& text) {
  auto alias = core::RoomAlias::parse(text);
  if (!alias || alias->localpart().empty()) return core::fail(Errc::kInvalidParam, "Room alias invalid");
  for (unsigned char c : alias->localpart())
    if (c < 0x21 || c == 0x7f)
      return core::fail(Errc::kInvalidParam, "Room alias must not contain white space or control characters");
  return std::move(*alias);
}

core::Status DirectoryQuery::set_limit(std::int64_t value) {
  if (value < 0) return core::fail(Errc::kInvalidParam, "limit must not be negative");
  limit = std::min(value, kMaxLimit);
  return {};
}

core::Status DirectoryQuery::set_since(std::string_view token) {
  auto value = parse_since(token);
  if (!value) return core::fail(Errc::kInvalidParam, "Invalid since token");
  offset = *value;
  return {};
}

void DirectoryQuery::set_search(std::string_view term) { search = lower(term); }

core::Result<core::RoomAlias> RoomDirectory::parse_local_alias(const std::string& text) const {
  auto alias = parse_room_alias(text);
  if (!alias) return alias;
  if (alias->server() != config_.server_name)
    return core::fail(Errc::kInvalidParam, "Room aliases must be on this server");
  return alias;
}

core::Status RoomDirectory::create_alias(const std::string& alias, const core::RoomId& room_id,
                                         const core::UserId& user_id, bool admin) {
  std::shared_ptr<const RoomState> room = timeline_.room(room_id);
  if (!room) return core::fail(Errc::kNotFound, "Room not found");
  if (!admin && room->membership(user_id.str()) != "join")
    return core::fail(Errc::kForbidden, "You must be joined to the room to give it an alias");
  if (auto ok = core::within_limit(store_.alias_count(user_id) + 1, config_.aliases_per_user, "room aliases"); !ok)
    return ok;
  if (!store_.create_alias(alias, room_id, user_id))
    return std::unexpected(core::make_error(Errc::kUnknown, "Room alias " + alias + " already exists", 409));
  return {};
}

core::Result<json::object> RoomDirectory::resolve_alias(const std::string& alias) {
  auto room_id = store_.alias_room(alias);
  if (!room_id) return std::unexpected(alias_not_found(alias));
  return json::object{{"room_id", *room_id}, {"servers", json::array{json::value(config_.server_name)}}};
}

core::Status RoomDirectory::delete_alias(const std::string& alias, const core::UserId& user_id, bool admin) {
  auto room_id = store_.alias_room(alias);
  if (!room_id) return std::unexpected(alias_not_found(alias));
  std::shared_ptr<const RoomState> room = timeline_.room(*room_id);
  const bool allowed = admin || store_.alias_creator(alias) == user_id ||
                       (room && may_send_state(*room, user_id, "m.room.canonical_alias"));
  if (!allowed) return core::fail(Errc::kForbidden, "You may not delete this alias");
  store_.delete_alias(alias);
  if (auto id = core::RoomId::parse(*room_id)) forget_canonical_alias(user_id, *id, alias);  // checked when made
  return {};
}

// A deleted alias leaves the room's m.room.canonical_alias, when the deleter may change it.
void RoomDirectory::forget_canonical_alias(const std::string& user_id, const core::RoomId& room_id,
                                           const std::string& alias) {
  std::shared_ptr<RoomState> room = timeline_.room(room_id);
  const json::object* current = room ? room->content("m.room.canonical_alias", "") : nullptr;
  if (!current) return;
  json::object content = *current;
  bool changed = false;
  if (string_field(content, "alias") == alias) {
    content.erase("alias");
    changed = true;
  }
  if (auto alt = content.if_contains("alt_aliases"); alt && alt->is_array()) {
    json::array kept;
    for (const auto& value : alt->get_array())
      if (!(value.is_string() && value.get_string() == alias)) kept.push_back(value);
    changed = changed || kept.size() != alt->get_array().size();
    content["alt_aliases"] = std::move(kept);
  }
  if (changed) (void)timeline_.send(room_id, {user_id, "m.room.canonical_alias", "", std::move(content), {}});
}

core::Result<json::object> RoomDirectory::room_aliases(const core::RoomId& room_id, const core::UserId& user_id,
                                                       bool admin) {
  std::shared_ptr<const RoomState> room = timeline_.room(room_id);
  bool allowed = admin || (room && room->membership(user_id.str()) == "join");
  if (room && !allowed) allowed = world_readable(*room);
  if (!allowed) return core::fail(Errc::kForbidden, "You are not a member of the room");
  json::array aliases;
  for (const auto& alias : store_.room_aliases(room_id)) aliases.emplace_back(alias);
  return json::object{{"aliases", std::move(aliases)}};
}

core::Result<json::object> RoomDirectory::visibility(const core::RoomId& room_id) {
  auto room = event_store_.room(room_id);
  if (!room) return core::fail(Errc::kNotFound, "Room not found");
  return json::object{{"visibility", room->published ? "public" : "private"}};
}

core::Status RoomDirectory::set_visibility(const core::RoomId& room_id, bool published, const core::UserId& user_id,
                                           bool admin) {
  std::shared_ptr<const RoomState> room = timeline_.room(room_id);
  if (!room) return core::fail(Errc::kNotFound, "Room not found");
  if (!admin && !may_send_state(*room, user_id, "m.room.canonical_alias"))
    return core::fail(Errc::kForbidden, "You may not change this room's directory visibility");
  store_.set_room_published(room_id, published);
  return {};
}

json::object RoomDirectory::public_rooms(const DirectoryQuery& query) {
  std::vector<json::object> rooms;
  std::int64_t total = 0;
  for (const auto& room_id : store_.published_rooms()) {
    std::shared_ptr<const RoomState> room = timeline_.room(room_id);
    if (!room) continue;
    ++total;
    json::object chunk = room_chunk(*room);
    if (matches(chunk, query)) rooms.push_back(std::move(chunk));
  }
  return page_of(std::move(rooms), total, query);
}

core::Result<json::object> RoomDirectory::summary(const std::string& room_id_or_alias,
                                                  const std::optional<std::string>& user_id) {
  std::optional<std::string> room_id;
  if (room_id_or_alias.starts_with('#')) {
    if (auto alias = parse_room_alias(room_id_or_alias); !alias) return std::unexpected(alias.error());
    room_id = store_.alias_room(room_id_or_alias);
  } else if (core::is_valid_room_id(room_id_or_alias)) {
    room_id = room_id_or_alias;
  } else {
    return core::fail(Errc::kInvalidParam, "Not a room ID or alias");
  }
  std::shared_ptr<const RoomState> room = room_id ? timeline_.room(*room_id) : nullptr;
  const std::string membership = room && user_id ? room->membership(*user_id) : "";
  std::optional<JoinedRooms> joined;
  if (user_id) joined.emplace(event_store_, *user_id);
  if (!room || !room->rules || !may_preview(*room, membership, joined ? &*joined : nullptr))
    return core::fail(Errc::kNotFound, "Room not found");
  json::object summary = room_summary_fields(*room);
  if (user_id) summary["membership"] = membership.empty() ? "leave" : membership;
  return summary;
}

}  // namespace myelin::homeserver
