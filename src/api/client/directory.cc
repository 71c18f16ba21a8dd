// PUT/GET/DELETE /_matrix/client/v3/directory/room/{roomAlias} — client-server-api "Room aliases"
// GET  /_matrix/client/v3/rooms/{roomId}/aliases
// GET/PUT /_matrix/client/v3/directory/list/room/{roomId}      — "Published room directory"
// GET/POST /_matrix/client/v3/publicRooms
// GET  /_matrix/client/v1/room_summary/{roomIdOrAlias}         — "Room Summaries"
// myelin has no federation yet: aliases and the directory are this server's only.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/handlers.h"
#include "core/ids.h"
#include "rooms/auth.h"

namespace myelin::api {
namespace {

using core::Errc;
using homeserver::RoomState;
using homeserver::string_field;

constexpr std::int64_t kDefaultPublicRoomsLimit = 100;
constexpr std::int64_t kMaxPublicRoomsLimit = 1000;

// The path's alias, checked against the grammar (appendices "Room Aliases").
core::Result<core::RoomAlias> parse_alias(const std::string& text) {
  auto alias = core::RoomAlias::parse(text);
  if (!alias || alias->localpart().empty()) return core::fail(Errc::kInvalidParam, "Room alias invalid");
  for (unsigned char c : alias->localpart())
    if (c < 0x21 || c == 0x7f) return core::fail(Errc::kInvalidParam, "Room alias must not contain white space or control characters");
  return std::move(*alias);
}

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

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The spec's PublishedRoomsChunk for one room.
json::object room_chunk(const RoomState& room) {
  json::object chunk{{"room_id", room.room_id},
                     {"num_joined_members", static_cast<std::int64_t>(room.joined.size())}};
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
  const json::object* visibility = room.content("m.room.history_visibility", "");
  chunk["world_readable"] = visibility && string_field(*visibility, "history_visibility") == "world_readable";
  const json::object* guests = room.content("m.room.guest_access", "");
  chunk["guest_can_join"] = guests && string_field(*guests, "guest_access") == "can_join";
  return chunk;
}

struct DirectoryQuery {
  std::int64_t limit = kDefaultPublicRoomsLimit;
  std::size_t offset = 0;          // from the "since" token
  std::string search;              // lower-cased generic_search_term
  std::optional<std::vector<std::optional<std::string>>> room_types;
};

// Pagination tokens are "o<offset>" into the ordered listing.
std::optional<std::size_t> parse_since(std::string_view token) {
  if (token.size() < 2 || token[0] != 'o') return std::nullopt;
  std::size_t offset = 0;
  auto [end, ec] = std::from_chars(token.data() + 1, token.data() + token.size(), offset);
  if (ec != std::errc() || end != token.data() + token.size()) return std::nullopt;
  return offset;
}

core::Status set_limit(DirectoryQuery& query, std::int64_t limit) {
  if (limit < 0) return core::fail(Errc::kInvalidParam, "limit must not be negative");
  query.limit = std::min(limit, kMaxPublicRoomsLimit);
  return {};
}

core::Status set_since(DirectoryQuery& query, std::string_view since) {
  auto offset = parse_since(since);
  if (!offset) return core::fail(Errc::kInvalidParam, "Invalid since token");
  query.offset = *offset;
  return {};
}

// Only this server's directory can be listed (no federation).
core::Status local_server(const Call& call) {
  auto server = call.request.query_param("server");
  if (server && *server != call.hs.config.server_name)
    return core::fail(Errc::kInvalidParam, "Listing other servers' directories is not supported");
  return {};
}

bool matches(const json::object& chunk, const DirectoryQuery& query) {
  if (query.room_types && !query.room_types->empty()) {
    std::optional<std::string> type;
    if (auto value = chunk.if_contains("room_type")) type = std::string(value->get_string());
    if (std::find(query.room_types->begin(), query.room_types->end(), type) == query.room_types->end())
      return false;
  }
  if (query.search.empty()) return true;
  for (const char* key : {"name", "topic", "canonical_alias"}) {
    if (auto value = chunk.if_contains(key); value && lower(value->get_string()).find(query.search) != std::string::npos)
      return true;
  }
  return false;
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

// Who may read a room's summary: anyone (logged in or not, the spec's rule for unauthenticated
// callers) when the room can be joined or knocked on by anyone, or is world_readable; otherwise
// its joined, invited and knocking members and, in a restricted room, whoever could join it
// through a room of its allow list. Everyone else is told the room does not exist.
bool may_see_summary(const Call& call, const RoomState& room, std::string_view membership) {
  const json::object* join_rules = room.content("m.room.join_rules", "");
  const std::string_view rule = join_rules ? string_field(*join_rules, "join_rule") : "";
  if (rule == "public" || rule == "knock" || rule == "knock_restricted") return true;
  const json::object* visibility = room.content("m.room.history_visibility", "");
  if (visibility && string_field(*visibility, "history_visibility") == "world_readable") return true;
  if (!call.session) return false;
  if (membership == "join" || membership == "invite" || membership == "knock") return true;
  if (rule != "restricted" || !join_rules) return false;
  // One indexed read of the caller's rooms, whatever the length of the allow list.
  const std::vector<std::string> listed = allowed_room_ids(*join_rules);
  const std::set<std::string> allowed(listed.begin(), listed.end());
  for (const auto& other : call.hs.store.user_memberships(call.user().user_id))
    if (other.membership == "join" && allowed.contains(other.room_id)) return true;
  return false;
}

void list_public_rooms(Call& call, const DirectoryQuery& query) {
  std::vector<json::object> rooms;
  std::int64_t total = 0;
  for (const auto& room_id : call.hs.store.published_rooms()) {
    const RoomState* room = call.hs.timeline.room(room_id);
    if (!room) continue;
    ++total;
    json::object chunk = room_chunk(*room);
    if (matches(chunk, query)) rooms.push_back(std::move(chunk));
  }
  // Largest rooms first, then by room ID, so that offsets are stable between pages.
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
  call.reply(response);
}

}  // namespace

void put_alias(Call& call) {
  auto alias = parse_alias(call.param(0));
  if (!alias) return call.fail(alias.error());
  if (alias->server() != call.hs.config.server_name)
    return call.fail(core::make_error(Errc::kInvalidParam, "Room aliases must be on this server"));
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto room_id = required_string(*body, "room_id");
  if (!room_id) return call.fail(room_id.error());
  if (!core::is_valid_room_id(*room_id)) return call.fail(core::make_error(Errc::kInvalidParam, "Invalid room ID"));
  const RoomState* room = call.hs.timeline.room(*room_id);
  if (!room) return call.fail(core::make_error(Errc::kNotFound, "Room not found"));
  const auto& session = call.user();
  if (!session.admin && room->membership(session.user_id) != "join")
    return call.fail(core::make_error(Errc::kForbidden, "You must be joined to the room to give it an alias"));
  if (auto ok = core::within_limit(call.hs.store.alias_count(session.user_id) + 1, call.hs.config.aliases_per_user,
                                   "room aliases");
      !ok)
    return call.fail(ok.error());
  if (!call.hs.store.create_alias(call.param(0), *room_id, session.user_id))
    return call.fail(core::make_error(Errc::kUnknown, "Room alias " + call.param(0) + " already exists", 409));
  call.reply(json::object{});
}

void get_alias(Call& call) {
  auto alias = parse_alias(call.param(0));
  if (!alias) return call.fail(alias.error());
  auto room_id = call.hs.store.alias_room(call.param(0));
  if (!room_id) return call.fail(alias_not_found(call.param(0)));
  call.reply(json::object{{"room_id", *room_id}, {"servers", json::array{json::value(call.hs.config.server_name)}}});
}

namespace {

// A deleted alias leaves the room's m.room.canonical_alias, when the deleter may change it.
void forget_canonical_alias(Call& call, const std::string& room_id, const std::string& alias) {
  homeserver::RoomState* room = call.hs.timeline.room(room_id);
  const json::object* current = room ? room->content("m.room.canonical_alias", "") : nullptr;
  if (!current) return;
  json::object content = *current;
  bool changed = false;
  if (homeserver::string_field(content, "alias") == alias) {
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
  if (changed)
    (void)call.hs.timeline.send(room_id, {call.user().user_id, "m.room.canonical_alias", "", std::move(content), {}});
}

}  // namespace

void delete_alias(Call& call) {
  auto alias = parse_alias(call.param(0));
  if (!alias) return call.fail(alias.error());
  auto room_id = call.hs.store.alias_room(call.param(0));
  if (!room_id) return call.fail(alias_not_found(call.param(0)));
  const auto& session = call.user();
  const RoomState* room = call.hs.timeline.room(*room_id);
  const bool allowed = session.admin || call.hs.store.alias_creator(call.param(0)) == session.user_id ||
                       (room && may_send_state(*room, session.user_id, "m.room.canonical_alias"));
  if (!allowed) return call.fail(core::make_error(Errc::kForbidden, "You may not delete this alias"));
  call.hs.store.delete_alias(call.param(0));
  forget_canonical_alias(call, *room_id, call.param(0));
  call.reply(json::object{});
}

void get_room_aliases(Call& call) {
  const std::string& room_id = call.param(0);
  if (!core::is_valid_room_id(room_id)) return call.fail(core::make_error(Errc::kInvalidParam, "Invalid room ID"));
  const RoomState* room = call.hs.timeline.room(room_id);
  const auto& session = call.user();
  bool allowed = session.admin || (room && room->membership(session.user_id) == "join");
  if (room && !allowed) {
    const json::object* visibility = room->content("m.room.history_visibility", "");
    allowed = visibility && string_field(*visibility, "history_visibility") == "world_readable";
  }
  if (!allowed) return call.fail(core::make_error(Errc::kForbidden, "You are not a member of the room"));
  json::array aliases;
  for (const auto& alias : call.hs.store.room_aliases(room_id)) aliases.emplace_back(alias);
  call.reply(json::object{{"aliases", std::move(aliases)}});
}

void get_room_visibility(Call& call) {
  auto room = call.hs.store.room(call.param(0));
  if (!room) return call.fail(core::make_error(Errc::kNotFound, "Room not found"));
  call.reply(json::object{{"visibility", room->published ? "public" : "private"}});
}

void put_room_visibility(Call& call) {
  const std::string& room_id = call.param(0);
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto visibility = optional_string(*body, "visibility");
  if (!visibility) return call.fail(visibility.error());
  const std::string value = visibility->value_or("public");
  if (value != "public" && value != "private")
    return call.fail(core::make_error(Errc::kInvalidParam, "visibility must be public or private"));
  const RoomState* room = call.hs.timeline.room(room_id);
  if (!room) return call.fail(core::make_error(Errc::kNotFound, "Room not found"));
  const auto& session = call.user();
  if (!session.admin && !may_send_state(*room, session.user_id, "m.room.canonical_alias"))
    return call.fail(core::make_error(Errc::kForbidden, "You may not change this room's directory visibility"));
  call.hs.store.set_room_published(room_id, value == "public");
  call.reply(json::object{});
}

void get_public_rooms(Call& call) {
  if (!call.session && !call.hs.config.public_rooms_without_auth)
    return call.fail(core::make_error(Errc::kMissingToken, "Log in to see the room directory"));
  if (auto ok = local_server(call); !ok) return call.fail(ok.error());
  DirectoryQuery query;
  if (call.request.query_param("limit")) {
    auto limit = int_query_param(call.request, "limit", 0);
    if (!limit) return call.fail(limit.error());
    if (auto ok = set_limit(query, *limit); !ok) return call.fail(ok.error());
  }
  if (auto since = token_query_param(call.request, "since"))
    if (auto ok = set_since(query, *since); !ok) return call.fail(ok.error());
  list_public_rooms(call, query);
}

void post_public_rooms(Call& call) {
  if (auto ok = local_server(call); !ok) return call.fail(ok.error());
  auto body = call.body();
  if (!body) return call.fail(body.error());
  DirectoryQuery query;
  if (auto limit = body->if_contains("limit"); limit && !limit->is_null()) {
    if (!limit->is_int64()) return call.fail(core::make_error(Errc::kBadJson, "limit must be an integer"));
    if (auto ok = set_limit(query, limit->get_int64()); !ok) return call.fail(ok.error());
  }
  auto since = optional_string(*body, "since");
  if (!since) return call.fail(since.error());
  if (*since)
    if (auto ok = set_since(query, **since); !ok) return call.fail(ok.error());
  if (auto filter = body->if_contains("filter"); filter && !filter->is_null()) {
    if (!filter->is_object()) return call.fail(core::make_error(Errc::kBadJson, "filter must be an object"));
    auto term = optional_string(filter->get_object(), "generic_search_term");
    if (!term) return call.fail(term.error());
    query.search = lower(term->value_or(""));
    if (auto types = filter->get_object().if_contains("room_types"); types && !types->is_null()) {
      if (!types->is_array()) return call.fail(core::make_error(Errc::kBadJson, "room_types must be an array"));
      query.room_types.emplace();
      for (const auto& type : types->get_array()) {
        if (type.is_null()) query.room_types->emplace_back(std::nullopt);
        else if (type.is_string()) query.room_types->emplace_back(std::string(type.get_string()));
        else return call.fail(core::make_error(Errc::kBadJson, "room_types must hold strings or null"));
      }
    }
  }
  list_public_rooms(call, query);
}

void get_room_summary(Call& call) {
  const std::string& target = call.param(0);
  std::optional<std::string> room_id;
  if (target.starts_with('#')) {
    auto alias = parse_alias(target);
    if (!alias) return call.fail(alias.error());
    room_id = call.hs.store.alias_room(target);
  } else if (core::is_valid_room_id(target)) {
    room_id = target;
  } else {
    return call.fail(core::make_error(Errc::kInvalidParam, "Not a room ID or alias"));
  }
  const RoomState* room = room_id ? call.hs.timeline.room(*room_id) : nullptr;
  const std::string membership = room && call.session ? room->membership(call.user().user_id) : "";
  if (!room || !room->rules || !may_see_summary(call, *room, membership))
    return call.fail(core::make_error(Errc::kNotFound, "Room not found"));
  json::object summary = room_chunk(*room);
  summary["room_version"] = std::string(room->rules->id);
  if (const json::object* encryption = room->content("m.room.encryption", "")) {
    if (auto algorithm = string_field(*encryption, "algorithm"); algorithm == "m.megolm.v1.aes-sha2")
      summary["encryption"] = algorithm;
  }
  if (const json::object* join_rules = room->content("m.room.join_rules", "")) {
    const auto rule = string_field(*join_rules, "join_rule");
    if (rule == "restricted" || rule == "knock_restricted") {
      json::array allowed;
      for (const auto& id : allowed_room_ids(*join_rules)) allowed.emplace_back(id);
      summary["allowed_room_ids"] = std::move(allowed);
    }
  }
  if (call.session) summary["membership"] = membership.empty() ? "leave" : membership;
  call.reply(summary);
}

}  // namespace myelin::api
