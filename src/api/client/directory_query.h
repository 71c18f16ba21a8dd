#pragma once
// The /publicRooms request of this server's directory, as the client API (client/directory.cc)
// and the server-server API (federation/queries.cc) both take it.
#include "api/call.h"
#include "homeserver/timeline/room_directory.h"

namespace myelin::api {

// GET's limit and since query parameters; `zero_is_no_limit`: a limit of 0 (or none) means
// no limit (the server-server API; kMaxLimit rooms), else a missing one is the default.
core::Result<homeserver::DirectoryQuery> directory_query_params(const http::Request& request, bool zero_is_no_limit);
// POST's body: limit, since, filter (generic_search_term, room_types); M_BAD_JSON for a field
// of the wrong type, M_INVALID_PARAM for a since token this server did not give.
core::Result<homeserver::DirectoryQuery> parse_directory_body(const json::object& body);

}  // namespace myelin::api
