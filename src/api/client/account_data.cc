// PUT/GET /_matrix/client/v3/user/{userId}/account_data/{type}                — client-server-api
//         "Client Config"
// PUT/GET /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}
// GET     /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags               — "Room Tagging"
// PUT/DELETE /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}
#include <string>

#include "api/handlers.h"
#include "core/ids.h"

namespace myelin::api {
namespace {

using core::Errc;

constexpr std::size_t kMaxTagBytes = 255;

// Account data belongs to its user alone: the path's user must be the caller.
core::Status own_user(const Call& call) {
  if (call.param(0) != call.user().user_id)
    return core::fail(Errc::kForbidden, "You can only access your own account data");
  return {};
}

core::Status valid_room(const std::string& room_id) {
  if (!core::is_valid_room_id(room_id)) return core::fail(Errc::kInvalidParam, room_id + " is not a valid room ID");
  return {};
}

// The server manages these types; clients may read but not set them (405 M_BAD_JSON).
core::Status settable_type(const std::string& type) {
  if (type == "m.fully_read" || type == "m.push_rules")
    return core::fail(Errc::kBadJson, "Cannot set " + type + " through this API", 405);
  if (type.empty()) return core::fail(Errc::kInvalidParam, "Missing account data type");
  return {};
}

// Stores a client-set entry within the bounds of Config (limits.account_data_*): 413
// M_TOO_LARGE for a value over account_data_value_bytes, 403 M_FORBIDDEN for a new entry
// beyond account_data_entries, whatever its content. Emptied entries ({}) keep their row, so
// that the user's other devices learn of the emptying, and count; writing an existing entry
// (emptied or not) again is always allowed.
core::Status store_data(const Call& call, const std::string& room_id, const std::string& type,
                        const json::object& content) {
  const std::string& user_id = call.user().user_id;
  std::string text = core::to_string(content);
  if (text.size() > call.hs.options.accounts.account_data_value_bytes)
    return core::fail(Errc::kTooLarge, "Account data values are at most " +
                                           std::to_string(call.hs.options.accounts.account_data_value_bytes) + " bytes");
  if (!call.hs.store.account_data(user_id, room_id, type)) {
    if (auto ok = core::within_limit(call.hs.store.client_account_data_count(user_id) + 1,
                                     call.hs.options.accounts.account_data_entries, "account data entries");
        !ok)
      return ok;
  }
  call.hs.store.set_account_data(user_id, room_id, type, text);
  call.hs.notifier.notify_user(user_id);
  return {};
}

void put_data(Call& call, const std::string& room_id, const std::string& type) {
  if (auto ok = settable_type(type); !ok) return call.fail(ok.error());
  auto body = call.body();
  if (!body) return call.fail(body.error());
  if (auto stored = store_data(call, room_id, type, *body); !stored) return call.fail(stored.error());
  call.reply(json::object{});
}

void get_data(Call& call, const std::string& room_id, const std::string& type) {
  auto content = call.hs.store.account_data(call.user().user_id, room_id, type);
  if (!content) return call.fail(core::make_error(Errc::kNotFound, "Account data not found"));
  auto parsed = core::parse_json(*content);
  if (!parsed) return call.fail(core::make_error(Errc::kInternal, "Stored account data is not JSON"));
  call.reply(*parsed);
}

// The room's m.tag content's "tags" object (empty when none is stored).
json::object stored_tags(const Call& call, const std::string& room_id) {
  auto content = call.hs.store.account_data(call.user().user_id, room_id, "m.tag");
  if (!content) return {};
  auto parsed = core::parse_json_object(*content);
  if (!parsed) return {};
  auto tags = parsed->if_contains("tags");
  return tags && tags->is_object() ? tags->get_object() : json::object{};
}

core::Status store_tags(const Call& call, const std::string& room_id, json::object tags) {
  return store_data(call, room_id, "m.tag", json::object{{"tags", std::move(tags)}});
}

}  // namespace

void put_account_data(Call& call) {
  if (auto ok = own_user(call); !ok) return call.fail(ok.error());
  put_data(call, "", call.param(1));
}

void get_account_data(Call& call) {
  if (auto ok = own_user(call); !ok) return call.fail(ok.error());
  get_data(call, "", call.param(1));
}

void put_room_account_data(Call& call) {
  if (auto ok = own_user(call); !ok) return call.fail(ok.error());
  if (auto ok = valid_room(call.param(1)); !ok) return call.fail(ok.error());
  put_data(call, call.param(1), call.param(2));
}

void get_room_account_data(Call& call) {
  if (auto ok = own_user(call); !ok) return call.fail(ok.error());
  if (auto ok = valid_room(call.param(1)); !ok) return call.fail(ok.error());
  get_data(call, call.param(1), call.param(2));
}

void get_tags(Call& call) {
  if (auto ok = own_user(call); !ok) return call.fail(ok.error());
  if (auto ok = valid_room(call.param(1)); !ok) return call.fail(ok.error());
  call.reply(json::object{{"tags", stored_tags(call, call.param(1))}});
}

void put_tag(Call& call) {
  if (auto ok = own_user(call); !ok) return call.fail(ok.error());
  const std::string& room_id = call.param(1);
  const std::string& tag = call.param(2);
  if (auto ok = valid_room(room_id); !ok) return call.fail(ok.error());
  if (tag.size() > kMaxTagBytes) return call.fail(core::make_error(Errc::kInvalidParam, "Tag names are at most 255 bytes"));
  auto body = call.body();
  if (!body) return call.fail(body.error());
  if (auto order = body->if_contains("order"); order && !order->is_number())
    return call.fail(core::make_error(Errc::kBadJson, "order must be a number"));
  json::object tags = stored_tags(call, room_id);
  tags[tag] = std::move(*body);
  if (auto stored = store_tags(call, room_id, std::move(tags)); !stored) return call.fail(stored.error());
  call.reply(json::object{});
}

void delete_tag(Call& call) {
  if (auto ok = own_user(call); !ok) return call.fail(ok.error());
  const std::string& room_id = call.param(1);
  if (auto ok = valid_room(room_id); !ok) return call.fail(ok.error());
  json::object tags = stored_tags(call, room_id);
  if (tags.erase(call.param(2)) > 0) {
    if (auto stored = store_tags(call, room_id, std::move(tags)); !stored) return call.fail(stored.error());
  }
  call.reply(json::object{});
}

}  // namespace myelin::api
