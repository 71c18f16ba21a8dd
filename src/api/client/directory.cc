// PUT/GET/DELETE /_matrix/client/v3/directory/room/{roomAlias} — client-server-api "Room aliases"
// GET  /_matrix/client/v3/rooms/{roomId}/aliases
// GET/PUT /_matrix/client/v3/directory/list/room/{roomId}      — "Published room directory"
// GET/POST /_matrix/client/v3/publicRooms (?server= of another server: through federation)
// GET  /_matrix/client/v1/room_summary/{roomIdOrAlias}         — "Room Summaries"
// The directory itself is homeserver/timeline/room_directory.h.
#include <optional>
#include <string>

#include "api/client/directory_query.h"
#include "api/handlers.h"
#include "core/ids.h"

namespace myelin::api {
namespace {

using core::Errc;
using homeserver::DirectoryQuery;

// POST /publicRooms' filter: generic_search_term and room_types.
core::Status parse_filter(const json::value& filter, DirectoryQuery& query) {
  if (!filter.is_object()) return core::fail(Errc::kBadJson, "filter must be an object");
  auto term = optional_string(filter.get_object(), "generic_search_term");
  if (!term) return std::unexpected(term.error());
  query.set_search(term->value_or(""));
  auto types = filter.get_object().if_contains("room_types");
  if (!types || types->is_null()) return {};
  if (!types->is_array()) return core::fail(Errc::kBadJson, "room_types must be an array");
  query.room_types.emplace();
  for (const auto& type : types->get_array()) {
    if (type.is_null()) query.room_types->emplace_back(std::nullopt);
    else if (type.is_string()) query.room_types->emplace_back(std::string(type.get_string()));
    else return core::fail(Errc::kBadJson, "room_types must hold strings or null");
  }
  return {};
}

// limit, since and filter of a POST /publicRooms body, type-checked; `own_since`: the since
// token must be one this server gave (else it is another server's, passed on).
core::Result<DirectoryQuery> parse_body_with(const json::object& body, bool own_since) {
  DirectoryQuery query;
  if (auto limit = body.if_contains("limit"); limit && !limit->is_null()) {
    if (!limit->is_int64()) return core::fail(Errc::kBadJson, "limit must be an integer");
    if (auto ok = query.set_limit(limit->get_int64()); !ok) return std::unexpected(ok.error());
  }
  auto since = optional_string(body, "since");
  if (!since) return std::unexpected(since.error());
  if (*since && own_since)
    if (auto ok = query.set_since(**since); !ok) return std::unexpected(ok.error());
  if (auto filter = body.if_contains("filter"); filter && !filter->is_null())
    if (auto ok = parse_filter(*filter, query); !ok) return std::unexpected(ok.error());
  return query;
}

// Another server's directory for our client: the request's fields checked as for ours (the
// since token is that server's), then asked of it.
void remote_public_rooms(Call& call, const std::string& server, json::object request) {
  call.hs.remote_directory.public_rooms(server, std::move(request),
                                        [respond = call.respond](const core::Result<json::object>& answer) {
                                          respond(answer ? json_response(*answer) : error_response(answer.error()));
                                        });
}

}  // namespace

core::Result<DirectoryQuery> directory_query_params(const http::Request& request, bool zero_is_no_limit) {
  DirectoryQuery query;
  if (request.query_param("limit") || zero_is_no_limit) {
    auto limit = int_query_param(request, "limit", 0);
    if (!limit) return std::unexpected(limit.error());
    const std::int64_t value = zero_is_no_limit && *limit == 0 ? DirectoryQuery::kMaxLimit : *limit;
    if (auto ok = query.set_limit(value); !ok) return std::unexpected(ok.error());
  }
  if (auto since = token_query_param(request, "since"))
    if (auto ok = query.set_since(*since); !ok) return std::unexpected(ok.error());
  return query;
}

core::Result<DirectoryQuery> parse_directory_body(const json::object& body) { return parse_body_with(body, true); }

void put_alias(Call& call) {
  auto alias = call.hs.directory.parse_local_alias(call.param(0));
  if (!alias) return call.fail(alias.error());
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto room_text = required_string(*body, "room_id");
  if (!room_text) return call.fail(room_text.error());
  auto room_id = core::RoomId::parse(*room_text);
  if (!room_id) return call.fail(core::make_error(Errc::kInvalidParam, "Invalid room ID"));
  call.answer(call.hs.directory.create_alias(call.param(0), *room_id, call.user().user_id, call.user().admin));
}

void get_alias(Call& call) {
  auto alias = homeserver::parse_room_alias(call.param(0));
  if (!alias) return call.fail(alias.error());
  if (call.hs.directory.parse_local_alias(call.param(0)))
    return call.answer(call.hs.directory.resolve_alias(call.param(0)));
  call.hs.rooms.resolve_remote_alias(*alias, [call](core::Result<homeserver::ResolvedAlias> resolved) {
    if (!resolved) return call.fail(resolved.error());
    call.reply(json::object{{"room_id", resolved->room_id},
                            {"servers", json::array(resolved->servers.begin(), resolved->servers.end())}});
  });
}

void delete_alias(Call& call) {
  if (auto alias = homeserver::parse_room_alias(call.param(0)); !alias) return call.fail(alias.error());
  call.answer(call.hs.directory.delete_alias(call.param(0), call.user().user_id, call.user().admin));
}

void get_room_aliases(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  call.answer(call.hs.directory.room_aliases(*room_id, call.user().user_id, call.user().admin));
}

void get_room_visibility(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  call.answer(call.hs.directory.visibility(*room_id));
}

void put_room_visibility(Call& call) {
  auto room_id = call.room_id_param(0);
  if (!room_id) return call.fail(room_id.error());
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto visibility = optional_string(*body, "visibility");
  if (!visibility) return call.fail(visibility.error());
  const std::string value = visibility->value_or("public");
  if (value != "public" && value != "private")
    return call.fail(core::make_error(Errc::kInvalidParam, "visibility must be public or private"));
  call.answer(call.hs.directory.set_visibility(*room_id, value == "public", call.user().user_id, call.user().admin));
}

void get_public_rooms(Call& call) {
  if (!call.session && !call.options.public_rooms_without_auth)
    return call.fail(core::make_error(Errc::kMissingToken, "Log in to see the room directory"));
  const std::optional<std::string> server = call.request.query_param("server");
  if (!call.hs.directory.is_local_directory(server)) {
    // Anonymous callers see ours only: asking other servers costs us.
    if (!call.session) return call.fail(core::make_error(Errc::kMissingToken, "Log in to see other directories"));
    json::object request;
    if (call.request.query_param("limit")) {
      auto limit = int_query_param(call.request, "limit", 0);
      if (!limit) return call.fail(limit.error());
      if (*limit < 0) return call.fail(core::make_error(Errc::kInvalidParam, "limit must not be negative"));
      request["limit"] = *limit;
    }
    if (auto since = token_query_param(call.request, "since")) request["since"] = *since;
    return remote_public_rooms(call, *server, std::move(request));
  }
  auto query = directory_query_params(call.request, false);
  if (!query) return call.fail(query.error());
  call.reply(call.hs.directory.public_rooms(*query));
}

void post_public_rooms(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  const std::optional<std::string> server = call.request.query_param("server");
  if (!call.hs.directory.is_local_directory(server)) {
    auto checked = parse_body_with(*body, false);
    if (!checked) return call.fail(checked.error());
    auto all_networks = optional_bool(*body, "include_all_networks");
    if (!all_networks) return call.fail(all_networks.error());
    auto instance = optional_string(*body, "third_party_instance_id");
    if (!instance) return call.fail(instance.error());
    json::object request;
    for (const char* key : {"limit", "since", "filter", "include_all_networks", "third_party_instance_id"})
      if (const json::value* value = body->if_contains(key); value && !value->is_null()) request[key] = *value;
    return remote_public_rooms(call, *server, std::move(request));
  }
  auto query = parse_directory_body(*body);
  if (!query) return call.fail(query.error());
  call.reply(call.hs.directory.public_rooms(*query));
}

void get_room_summary(Call& call) {
  std::optional<std::string> user_id;
  if (call.session) user_id = call.user().user_id;
  call.answer(call.hs.directory.summary(call.param(0), user_id));
}

}  // namespace myelin::api
