// homeserver/timeline/ignored_users.h
#include "homeserver/timeline/ignored_users.h"

#include "core/json.h"

namespace myelin::homeserver {

IgnoredUsers ignored_users(storage::UserDataStore& store, const std::string& user_id) {
  auto text = store.account_data(user_id, "", "m.ignored_user_list");
  if (!text) return nullptr;
  auto content = core::parse_json_object(*text);
  const json::value* users = content ? content->if_contains("ignored_users") : nullptr;
  if (!users || !users->is_object()) return nullptr;
  auto out = std::make_shared<std::set<std::string, std::less<>>>();
  for (const auto& [ignored, value] : users->get_object())
    if (ignored != user_id) out->emplace(ignored);
  if (out->empty()) return nullptr;
  return out;
}

}  // namespace myelin::homeserver
