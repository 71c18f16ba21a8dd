#include "homeserver/federation/queries.h"

#include "core/ids.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

bool in_room(const std::string& membership) { return membership == "join" || membership == "invite"; }

}  // namespace

bool FederationQueries::shares_a_room(const std::string& user_id, const std::string& origin) {
  for (const storage::Membership& mine : events_.user_memberships(user_id)) {
    if (!in_room(mine.membership)) continue;
    auto room_id = core::RoomId::parse(mine.room_id);
    if (!room_id) continue;
    for (const storage::Membership& member : events_.room_members(*room_id)) {
      auto member_id = core::UserId::parse(member.user_id);
      if (member_id && member_id->server() == origin && in_room(member.membership)) return true;
    }
  }
  return false;
}

core::Result<json::object> FederationQueries::profile(const std::string& origin, const std::string& user_id,
                                                      const std::optional<std::string>& field) {
  auto user = core::UserId::parse(user_id);
  if (!user || user->server() != options_.server_name)
    return core::fail(Errc::kInvalidParam, "Not a user of this server");
  if (field && *field != "displayname" && *field != "avatar_url")
    return core::fail(Errc::kInvalidParam, "Unknown profile field");
  auto record = accounts_.user(user_id);
  if (!record || record->deactivated || (options_.profile_requires_shared_room && !shares_a_room(user_id, origin)))
    return core::fail(Errc::kNotFound, "Profile not found");
  json::object profile;
  if ((!field || *field == "displayname") && !record->displayname.empty()) profile["displayname"] = record->displayname;
  if ((!field || *field == "avatar_url") && !record->avatar_url.empty()) profile["avatar_url"] = record->avatar_url;
  return profile;
}

core::Result<json::object> FederationQueries::directory(const std::string& alias) {
  auto parsed = core::RoomAlias::parse(alias);
  if (!parsed || parsed->server() != options_.server_name) return core::fail(Errc::kNotFound, "Unknown alias");
  return directory_.resolve_alias(alias);
}

core::Result<json::object> FederationQueries::public_rooms(const DirectoryQuery& query) {
  if (!options_.serve_public_rooms)
    return core::fail(Errc::kForbidden, "This server does not share its room directory over federation");
  return directory_.public_rooms(query);
}

}  // namespace myelin::homeserver
