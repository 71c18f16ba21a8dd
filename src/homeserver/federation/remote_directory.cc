#include "homeserver/federation/remote_directory.h"

#include <algorithm>

#include "core/ids.h"
#include "homeserver/federation/remote_requests.h"
#include "homeserver/timeline/room_directory.h"
#include "homeserver/timeline/room_state.h"

namespace myelin::homeserver {

using core::Errc;

void RemoteDirectory::public_rooms(const std::string& server, json::object request,
                                   std::function<void(core::Result<json::object>)> done) {
  if (!core::ServerName::parse(server)) return done(core::fail(Errc::kInvalidParam, "Invalid server name"));
  if (!options_.enabled) return done(core::fail(Errc::kForbidden, "Federation is disabled on this server"));
  const json::value* asked = request.if_contains("limit");
  const std::int64_t limit = asked && asked->is_int64() && asked->get_int64() > 0
                                 ? std::min(asked->get_int64(), DirectoryQuery::kMaxLimit)
                                 : DirectoryQuery::kMaxLimit;
  request["limit"] = limit;
  OutgoingRequest outgoing;
  outgoing.destination = server;
  outgoing.method = "POST";
  outgoing.target = "/_matrix/federation/v1/publicRooms";
  outgoing.body = std::move(request);
  outgoing.max_response_bytes = kMaxAnswerBytes;
  transport_.send(std::move(outgoing), [server, limit, done = std::move(done)](IncomingResponse response) {
    if (response.status != 200) return done(std::unexpected(refusal_of(server, response)));
    auto body = core::parse_json_object(response.body);
    const json::value* chunk = body ? body->if_contains("chunk") : nullptr;
    if (!chunk || !chunk->is_array())
      return done(std::unexpected(unreachable(server + " answered the directory query with nonsense")));
    json::array rooms;
    for (const json::value& room : chunk->get_array()) {
      if (static_cast<std::int64_t>(rooms.size()) == limit) break;
      const json::object* entry = room.if_object();
      if (entry && core::RoomId::parse(string_field(*entry, "room_id"))) rooms.push_back(room);
    }
    json::object answer{{"chunk", std::move(rooms)}};
    for (const char* token : {"next_batch", "prev_batch"})
      if (const json::value* value = body->if_contains(token); value && value->is_string()) answer[token] = *value;
    const json::value* total = body->if_contains("total_room_count_estimate");
    if (total && total->is_int64()) answer["total_room_count_estimate"] = *total;
    done(std::move(answer));
  });
}

}  // namespace myelin::homeserver
