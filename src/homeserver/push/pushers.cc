#include "homeserver/push/pushers.h"

#include "core/clock.h"
#include "http/client.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

constexpr std::size_t kMaxAppId = 64, kMaxPushkey = 512, kMaxText = 256, kMaxData = 4096;

// A required (or optional) string field at most `most` bytes long.
core::Result<std::string> text_field(const json::object& body, const char* key, std::size_t most, bool required) {
  const json::value* value = body.if_contains(key);
  if (!value || (!required && value->is_null())) {
    if (required) return core::fail(Errc::kMissingParam, std::string("Missing parameter: ") + key);
    return std::string();
  }
  if (!value->is_string()) return core::fail(Errc::kInvalidParam, std::string(key) + " must be a string");
  if (value->get_string().size() > most)
    return core::fail(Errc::kInvalidParam, std::string(key) + " is longer than " + std::to_string(most) + " bytes");
  return std::string(value->get_string());
}

json::object pusher_json(const storage::PusherRecord& p) {
  json::object out{{"pushkey", p.pushkey},
                   {"kind", p.kind},
                   {"app_id", p.app_id},
                   {"app_display_name", p.app_display_name},
                   {"device_display_name", p.device_display_name},
                   {"lang", p.lang}};
  if (!p.profile_tag.empty()) out["profile_tag"] = p.profile_tag;
  auto data = core::parse_json_object(p.data);
  out["data"] = data ? std::move(*data) : json::object();
  return out;
}

}  // namespace

core::Status check_gateway_url(const json::value* url, bool allow_http) {
  if (!url) return core::fail(Errc::kMissingParam, "Missing parameter: data.url");
  if (!url->is_string()) return core::fail(Errc::kInvalidParam, "data.url must be a string");
  auto parsed = http::parse_http_url(std::string(url->get_string()));
  if (!parsed) return core::fail(Errc::kInvalidParam, "data.url must be an absolute https URL");
  if (!parsed->tls && !allow_http) return core::fail(Errc::kInvalidParam, "data.url must be an https URL");
  if (parsed->path != kPushPath)
    return core::fail(Errc::kInvalidParam, std::string("data.url must have the path ") + kPushPath);
  return {};
}

Pushers::Pushers(const PushOptions& config, storage::PusherStore& store) : config_(config), store_(store) {
  for (std::string& user : store_.users_with_pushers()) users_.insert(std::move(user));
}

json::object Pushers::list(const std::string& user_id) {
  json::array out;
  for (const auto& pusher : of(user_id)) out.push_back(pusher_json(pusher));
  return {{"pushers", std::move(out)}};
}

core::Status Pushers::set(const std::string& user_id, const std::string& device_id, const json::object& body) {
  const json::value* kind = body.if_contains("kind");
  if (!kind) return core::fail(Errc::kMissingParam, "Missing parameter: kind");
  if (!kind->is_null() && !kind->is_string()) return core::fail(Errc::kInvalidParam, "kind must be a string or null");
  auto app_id = text_field(body, "app_id", kMaxAppId, true);
  if (!app_id) return std::unexpected(app_id.error());
  auto pushkey = text_field(body, "pushkey", kMaxPushkey, true);
  if (!pushkey) return std::unexpected(pushkey.error());
  if (kind->is_null()) {
    store_.delete_pusher(user_id, *app_id, *pushkey);
    return {};
  }
  if (kind->get_string() != "http") return core::fail(Errc::kInvalidParam, "Only pushers of kind http are supported");
  storage::PusherRecord record;
  record.user_id = user_id;
  record.app_id = *app_id;
  record.pushkey = *pushkey;
  record.kind = "http";
  const std::pair<const char*, std::string*> required[] = {{"app_display_name", &record.app_display_name},
                                                           {"device_display_name", &record.device_display_name},
                                                           {"lang", &record.lang}};
  for (auto [key, field] : required) {
    auto value = text_field(body, key, kMaxText, true);
    if (!value) return std::unexpected(value.error());
    *field = std::move(*value);
  }
  auto profile_tag = text_field(body, "profile_tag", kMaxText, false);
  if (!profile_tag) return std::unexpected(profile_tag.error());
  record.profile_tag = std::move(*profile_tag);
  const json::value* data = body.if_contains("data");
  if (!data) return core::fail(Errc::kMissingParam, "Missing parameter: data");
  if (!data->is_object()) return core::fail(Errc::kInvalidParam, "data must be an object");
  if (auto checked = check_gateway_url(data->get_object().if_contains("url"), config_.allow_http_gateways); !checked)
    return checked;
  // The spec knows one format, event_id_only; another string is kept and read as the full form
  // (clients and sytest send others), as an absent one is.
  if (const json::value* format = data->get_object().if_contains("format"); format && !format->is_string())
    return core::fail(Errc::kInvalidParam, "data.format must be a string");
  record.data = core::to_string(*data);
  if (record.data.size() > kMaxData)
    return core::fail(Errc::kInvalidParam, "data is longer than " + std::to_string(kMaxData) + " bytes");
  const json::value* append = body.if_contains("append");
  if (append && !append->is_bool()) return core::fail(Errc::kInvalidParam, "append must be a boolean");
  record.device_id = device_id;
  record.pushkey_ts = core::now_ms();

  const std::vector<storage::PusherRecord> existing = store_.pushers(user_id);
  bool replaces = false;
  for (const auto& pusher : existing) replaces |= pusher.app_id == record.app_id && pusher.pushkey == record.pushkey;
  if (!replaces) {
    if (auto within =
            core::within_limit(static_cast<std::int64_t>(existing.size()) + 1, config_.pushers_per_user, "pushers");
        !within)
      return within;
  }
  if (!append || !append->get_bool()) store_.delete_pushers_of_others(record.app_id, record.pushkey, user_id);
  store_.put_pusher(record);
  users_.insert(user_id);
  return {};
}

std::vector<storage::PusherRecord> Pushers::of(const std::string& user_id) {
  if (!users_.contains(user_id)) return {};
  std::vector<storage::PusherRecord> pushers = store_.pushers(user_id);
  if (pushers.empty()) users_.erase(user_id);
  return pushers;
}

std::optional<storage::PusherRecord> Pushers::find(const std::string& user_id, const std::string& app_id,
                                                   const std::string& pushkey) {
  for (auto& pusher : of(user_id))
    if (pusher.app_id == app_id && pusher.pushkey == pushkey) return std::move(pusher);
  return std::nullopt;
}

void Pushers::remove(const std::string& user_id, const std::string& app_id, const std::string& pushkey) {
  store_.delete_pusher(user_id, app_id, pushkey);
  of(user_id);  // leaves users_ when it was the last one
}

}  // namespace myelin::homeserver
