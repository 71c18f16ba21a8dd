// GET    /_matrix/client/v3/devices            — client-server-api "Device management"
// GET    /_matrix/client/v3/devices/{deviceId}
// PUT    /_matrix/client/v3/devices/{deviceId}
// DELETE /_matrix/client/v3/devices/{deviceId}
// POST   /_matrix/client/v3/delete_devices
#include <string>
#include <vector>

#include "api/client/password_uia.h"
#include "api/handlers.h"

namespace myelin::api {
namespace {

using core::Errc;

// The spec's Device object. Only the owner reaches these endpoints, so the last-seen fields
// (whose IP the store keeps truncated) are included.
json::object device_json(const storage::DeviceRecord& device) {
  json::object object{{"device_id", device.device_id}};
  if (!device.display_name.empty()) object["display_name"] = device.display_name;
  if (!device.last_seen_ip.empty()) object["last_seen_ip"] = device.last_seen_ip;
  if (device.last_seen_ts > 0) object["last_seen_ts"] = device.last_seen_ts;
  return object;
}

}  // namespace

void get_devices(Call& call) {
  json::array devices;
  for (const auto& device : call.hs.accounts.devices(call.user().user_id)) devices.emplace_back(device_json(device));
  call.reply(json::object{{"devices", std::move(devices)}});
}

void get_device(Call& call) {
  auto device = call.hs.accounts.device(call.user().user_id, call.param(0));
  if (!device) return call.fail(core::make_error(Errc::kNotFound, "Unknown device"));
  call.reply(device_json(*device));
}

void put_device(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto display_name = optional_string(*body, "display_name");
  if (!display_name) return call.fail(display_name.error());
  if (auto ok = call.hs.accounts.update_device(call.user().user_id, call.param(0), *display_name); !ok)
    return call.fail(ok.error());
  call.reply(json::object{});
}

void delete_device(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  with_password_uia(call, *body, [](Call& call) {
    // Succeeds for a device that was already removed (the spec's 200 "or had been removed").
    call.hs.accounts.delete_device(call.user().user_id, call.param(0));
    call.reply(json::object{});
  });
}

void post_delete_devices(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  auto list = body->if_contains("devices");
  if (!list) return call.fail(core::make_error(Errc::kMissingParam, "Missing devices"));
  if (!list->is_array()) return call.fail(core::make_error(Errc::kBadJson, "devices must be an array"));
  std::vector<std::string> device_ids;
  for (const auto& id : list->get_array()) {
    if (!id.is_string()) return call.fail(core::make_error(Errc::kBadJson, "devices must contain strings"));
    device_ids.emplace_back(id.get_string());
  }
  with_password_uia(call, *body, [device_ids = std::move(device_ids)](Call& call) {
    const std::string user_id = call.user().user_id;
    for (const auto& device_id : device_ids) call.hs.accounts.delete_device(user_id, device_id);
    call.reply(json::object{});
  });
}

}  // namespace myelin::api
