#pragma once
// Another server's published room directory for our client (client-server-api GET/POST
// /publicRooms?server=), asked of that server (server-server-api "Public Room Directory": POST
// /_matrix/federation/v1/publicRooms) and its answer passed on, bounded.
#include <cstddef>
#include <functional>
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/federation/options.h"
#include "homeserver/federation/transport.h"

namespace myelin::homeserver {

class RemoteDirectory {
 public:
  static constexpr std::size_t kMaxAnswerBytes = 4 << 20;

  RemoteDirectory(const FederationOptions& options, Transport& transport) : options_(options), transport_(transport) {}

  // `request` ({limit, since, filter, include_all_networks, third_party_instance_id}, each
  // checked for its type by the caller; limit at most DirectoryQuery::kMaxLimit, which is also
  // the limit when none is given) goes to `server`. The answer is {chunk, next_batch,
  // prev_batch, total_room_count_estimate} as far as it holds them with the right types, at
  // most `limit` room objects with a room_id. M_INVALID_PARAM for an invalid server name,
  // M_FORBIDDEN while federation is disabled, the server's own 4xx refusal (its M_FORBIDDEN
  // when it does not share its directory), else 502 M_UNKNOWN. `done` runs once, on the loop.
  void public_rooms(const std::string& server, json::object request,
                    std::function<void(core::Result<json::object>)> done);

 private:
  const FederationOptions& options_;
  Transport& transport_;
};

}  // namespace myelin::homeserver
