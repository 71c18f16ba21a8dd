// homeserver/accounts/account_data.h
#include "homeserver/accounts/account_data.h"

#include "core/ids.h"

namespace myelin::homeserver {

using core::Errc;

core::Status AccountData::store(const std::string& user_id, const std::string& room_id, const std::string& type,
                                const json::object& content) {
  std::string text = core::to_string(content);
  if (text.size() > config_.account_data_value_bytes)
    return core::fail(Errc::kTooLarge,
                      "Account data values are at most " + std::to_string(config_.account_data_value_bytes) + " bytes");
  if (!store_.account_data(user_id, room_id, type)) {
    if (auto ok = core::within_limit(store_.client_account_data_count(user_id) + 1, config_.account_data_entries,
                                     "account data entries");
        !ok)
      return ok;
  }
  store_.set_account_data(user_id, room_id, type, text);
  changed_(user_id);
  return {};
}

void AccountData::copy_room_tags(const std::string& user_id, const std::string& from, const std::string& to) {
  if (store_.account_data(user_id, to, "m.tag")) return;
  json::object tags = this->tags(user_id, from);
  if (!tags.empty()) (void)store(user_id, to, "m.tag", json::object{{"tags", std::move(tags)}});
}

core::Status AccountData::settable(const std::string& type) {
  if (type == "m.fully_read" || type == "m.push_rules")
    return core::fail(Errc::kBadJson, "Cannot set " + type + " through this API", 405);
  if (type.empty()) return core::fail(Errc::kInvalidParam, "Missing account data type");
  return {};
}

namespace {

// m.ignored_user_list (client-server-api "Ignoring Users"): {"ignored_users": {user ID: {}}},
// or {} to empty it.
core::Status check_ignored_user_list(const json::object& content) {
  if (content.empty()) return {};
  const json::value* users = content.if_contains("ignored_users");
  if (!users || !users->is_object())
    return core::fail(Errc::kBadJson, "m.ignored_user_list needs an ignored_users object");
  for (const auto& [user_id, value] : users->get_object()) {
    if (!core::UserId::parse(user_id)) return core::fail(Errc::kBadJson, "ignored_users keys must be user IDs");
    if (!value.is_object()) return core::fail(Errc::kBadJson, "ignored_users values must be objects");
  }
  return {};
}

}  // namespace

core::Status AccountData::set(const std::string& user_id, const std::string& room_id, const std::string& type,
                              const json::object& content) {
  if (auto ok = settable(type); !ok) return ok;
  if (type == "m.ignored_user_list" && room_id.empty())
    if (auto ok = check_ignored_user_list(content); !ok) return ok;
  return store(user_id, room_id, type, content);
}

core::Result<json::value> AccountData::get(const std::string& user_id, const std::string& room_id,
                                           const std::string& type) {
  auto content = store_.account_data(user_id, room_id, type);
  if (!content) return core::fail(Errc::kNotFound, "Account data not found");
  auto parsed = core::parse_json(*content);
  if (!parsed) return core::fail(Errc::kInternal, "Stored account data is not JSON");
  return std::move(*parsed);
}

json::object AccountData::tags(const std::string& user_id, const std::string& room_id) {
  auto content = store_.account_data(user_id, room_id, "m.tag");
  if (!content) return {};
  auto parsed = core::parse_json_object(*content);
  if (!parsed) return {};
  auto tags = parsed->if_contains("tags");
  return tags && tags->is_object() ? tags->get_object() : json::object{};
}

core::Status AccountData::set_tag(const std::string& user_id, const std::string& room_id, const std::string& tag,
                                  json::object content) {
  json::object all = tags(user_id, room_id);
  all[tag] = std::move(content);
  return store(user_id, room_id, "m.tag", json::object{{"tags", std::move(all)}});
}

core::Status AccountData::delete_tag(const std::string& user_id, const std::string& room_id, const std::string& tag) {
  json::object all = tags(user_id, room_id);
  if (all.erase(tag) == 0) return {};
  return store(user_id, room_id, "m.tag", json::object{{"tags", std::move(all)}});
}

}  // namespace myelin::homeserver
