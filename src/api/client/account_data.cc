// PUT/GET /_matrix/client/v3/user/{userId}/account_data/{type}                — client-server-api
//         "Client Config"
// PUT/GET /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}
// GET     /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags               — "Room Tagging"
// PUT/DELETE /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}
// The rules and bounds are homeserver::AccountData's.
#include <string>

#include "api/handlers.h"
#include "core/ids.h"

namespace myelin::api {
namespace {

using core::Errc;

// Account data belongs to its user alone: the path's user must be the caller.
core::Status own_user(const Call& call) {
  if (call.param(0) != call.user().user_id)
    return core::fail(Errc::kForbidden, "You can only access your own account data");
  return {};
}

// own_user, and a valid room ID as the path's second parameter.
core::Status own_room_data(const Call& call) {
  if (auto ok = own_user(call); !ok) return ok;
  if (!core::is_valid_room_id(call.param(1)))
    return core::fail(Errc::kInvalidParam, call.param(1) + " is not a valid room ID");
  return {};
}

void put_data(Call& call, const std::string& room_id, const std::string& type) {
  if (auto ok = homeserver::AccountData::settable(type); !ok) return call.fail(ok.error());
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.answer(call.hs.account_data.set(call.user().user_id, room_id, type, *body));
}

void get_data(Call& call, const std::string& room_id, const std::string& type) {
  auto content = call.hs.account_data.get(call.user().user_id, room_id, type);
  if (!content) return call.fail(content.error());
  call.reply(*content);
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
  if (auto ok = own_room_data(call); !ok) return call.fail(ok.error());
  put_data(call, call.param(1), call.param(2));
}

void get_room_account_data(Call& call) {
  if (auto ok = own_room_data(call); !ok) return call.fail(ok.error());
  get_data(call, call.param(1), call.param(2));
}

void get_tags(Call& call) {
  if (auto ok = own_room_data(call); !ok) return call.fail(ok.error());
  call.reply(json::object{{"tags", call.hs.account_data.tags(call.user().user_id, call.param(1))}});
}

void put_tag(Call& call) {
  if (auto ok = own_room_data(call); !ok) return call.fail(ok.error());
  const std::string& tag = call.param(2);
  if (tag.size() > homeserver::kMaxTagBytes)
    return call.fail(core::make_error(Errc::kInvalidParam, "Tag names are at most 255 bytes"));
  auto body = call.body();
  if (!body) return call.fail(body.error());
  if (auto order = body->if_contains("order"); order && !order->is_number())
    return call.fail(core::make_error(Errc::kBadJson, "order must be a number"));
  call.answer(call.hs.account_data.set_tag(call.user().user_id, call.param(1), tag, std::move(*body)));
}

void delete_tag(Call& call) {
  if (auto ok = own_room_data(call); !ok) return call.fail(ok.error());
  call.answer(call.hs.account_data.delete_tag(call.user().user_id, call.param(1), call.param(2)));
}

}  // namespace myelin::api
