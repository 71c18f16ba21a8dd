// homeserver/membership/user_directory.h
#include "homeserver/membership/user_directory.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <string_view>

namespace myelin::homeserver {
namespace {

std::string folded(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

DirectoryResults UserDirectory::search(const std::string& user_id, const std::string& term, std::int64_t limit) {
  const auto max_results = static_cast<std::size_t>(std::clamp<std::int64_t>(limit, 1, 100));
  const std::string needle = folded(term);
  // Members of the searcher's joined rooms, with the profile they show there.
  std::map<std::string, json::object> found;
  for (const auto& membership : store_.user_memberships(user_id)) {
    if (membership.membership != "join") continue;
    std::shared_ptr<RoomState> room = rooms_.room(membership.room_id);
    if (!room) continue;
    for (const auto& member : room->joined) {
      if (member == user_id || found.contains(member)) continue;
      const json::object* content = room->content("m.room.member", member);
      const std::string name = content ? std::string(string_field(*content, "displayname")) : "";
      if (folded(member).find(needle) == std::string::npos && folded(name).find(needle) == std::string::npos) continue;
      json::object result{{"user_id", member}};
      if (!name.empty()) result["display_name"] = name;
      if (content) {
        if (auto avatar = string_field(*content, "avatar_url"); !avatar.empty()) result["avatar_url"] = avatar;
      }
      found.emplace(member, std::move(result));
    }
  }
  DirectoryResults out;
  for (auto& [user, result] : found) {
    if (out.results.size() == max_results) break;
    out.results.push_back(std::move(result));
  }
  out.limited = found.size() > max_results;
  return out;
}

}  // namespace myelin::homeserver
