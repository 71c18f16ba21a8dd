// POST /_matrix/client/v3/user_directory/search (client-server-api "User directory").
// Privacy: the directory holds only users who share a room with the searcher (never the whole
// user list), matched case-insensitively on user ID and display name.
#include <algorithm>
#include <map>

#include "api/handlers.h"

namespace myelin::api {
namespace {

using core::Errc;

std::string folded(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void post_user_directory_search(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto term = required_string(*body, "search_term");
  auto limit = optional_int(*body, "limit");
  if (!term) return call.fail(term.error());
  if (!limit) return call.fail(limit.error());
  const auto max_results = static_cast<std::size_t>(std::clamp<std::int64_t>(limit->value_or(10), 1, 100));
  const std::string needle = folded(*term);

  // Members of the searcher's joined rooms, with the profile they show there.
  std::map<std::string, json::object> found;
  for (const auto& membership : call.hs.store.user_memberships(call.user().user_id)) {
    if (membership.membership != "join") continue;
    homeserver::RoomState* room = call.hs.timeline.room(membership.room_id);
    if (!room) continue;
    for (const auto& member : room->joined) {
      if (member == call.user().user_id || found.contains(member)) continue;
      const json::object* content = room->content("m.room.member", member);
      const std::string name = content ? std::string(homeserver::string_field(*content, "displayname")) : "";
      if (folded(member).find(needle) == std::string::npos && folded(name).find(needle) == std::string::npos) continue;
      json::object result{{"user_id", member}};
      if (!name.empty()) result["display_name"] = name;
      if (content) {
        if (auto avatar = homeserver::string_field(*content, "avatar_url"); !avatar.empty()) result["avatar_url"] = avatar;
      }
      found.emplace(member, std::move(result));
    }
  }
  json::array results;
  for (auto& [user, result] : found) {
    if (results.size() == max_results) break;
    results.push_back(std::move(result));
  }
  call.reply(json::object{{"results", std::move(results)}, {"limited", found.size() > max_results}});
}

// GET /_matrix/client/v3/thirdparty/protocols: no application services bridge anything here.
void get_thirdparty_protocols(Call& call) { call.reply(json::object{}); }

// GET /_matrix/client/v3/account/3pid: myelin stores no email addresses or phone numbers.
void get_account_3pids(Call& call) { call.reply(json::object{{"threepids", json::array{}}}); }

}  // namespace myelin::api
