#pragma once
// What other servers may ask about this server's users and aliases (server-server-api
// "Querying for information"): GET /_matrix/federation/v1/query/profile and query/directory.
#include <optional>
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/federation/options.h"
#include "homeserver/timeline/room_directory.h"
#include "storage/account_store.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

class FederationQueries {
 public:
  FederationQueries(const FederationOptions& options, storage::AccountStore& accounts, storage::EventStore& events,
                    RoomDirectory& directory)
      : options_(options), accounts_(accounts), events_(events), directory_(directory) {}

  // The profile of a local user ({displayname, avatar_url}, or the one `field` asked for):
  // M_INVALID_PARAM for a user of another server or another field, M_NOT_FOUND for an unknown
  // or deactivated user — and, with profile_requires_shared_room (PRIVACY), for a user who
  // shares no room (joined or invited) with a user of `origin`, so that the answer does not
  // reveal who exists.
  core::Result<json::object> profile(const std::string& origin, const std::string& user_id,
                                     const std::optional<std::string>& field);
  // A local alias: {room_id, servers}; M_NOT_FOUND otherwise.
  core::Result<json::object> directory(const std::string& alias);
  // The published room directory (RoomDirectory::public_rooms), with serve_public_rooms only
  // (else M_FORBIDDEN).
  core::Result<json::object> public_rooms(const DirectoryQuery& query);

 private:
  bool shares_a_room(const std::string& user_id, const std::string& origin);

  const FederationOptions& options_;
  storage::AccountStore& accounts_;
  storage::EventStore& events_;
  RoomDirectory& directory_;
};

}  // namespace myelin::homeserver
