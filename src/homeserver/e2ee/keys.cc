#include "homeserver/e2ee/keys.h"

#include <algorithm>
#include <memory>
#include <set>

#include "core/base64.h"
#include "core/crypto.h"
#include "core/ids.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

constexpr const char* kCrossSigningTypes[] = {"master", "self_signing", "user_signing"};

// Distinct algorithms of one-time keys, and of fallback keys, that one device may keep.
constexpr std::int64_t kMaxKeyAlgorithms = 4;

// A key algorithm name: lower-case letters, digits, '.', '_' and '-', starting with a letter
// (the character rules of the common namespaced identifier grammar: signed_curve25519).
bool is_algorithm_name(std::string_view name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

// 403 M_FORBIDDEN for `count` above `limit` (core::within_limit) as this file's results.
core::Status within(std::size_t count, std::int64_t limit, std::string_view what) {
  return core::within_limit(static_cast<std::int64_t>(count), limit, what);
}

// The object without "signatures" and "unsigned", as canonical JSON: what a signature covers.
std::string signed_part(json::object object) {
  object.erase("signatures");
  object.erase("unsigned");
  return core::canonical_json(object);
}

const json::object* object_field(const json::object& object, std::string_view key) {
  auto value = object.if_contains(key);
  return value && value->is_object() ? &value->get_object() : nullptr;
}

// A 32-byte ed25519 public key in unpadded base64.
bool is_public_key(std::string_view text) {
  auto bytes = core::base64_decode(text);
  return bytes && bytes->size() == 32;
}

// The device's ed25519 key from its device keys ("" when it has none).
std::string device_ed25519(const json::object& device_keys, const std::string& device_id) {
  const json::object* keys = object_field(device_keys, "keys");
  if (!keys) return "";
  auto key = keys->if_contains("ed25519:" + device_id);
  return key && key->is_string() ? std::string(key->get_string()) : "";
}

// The one public key of a cross-signing key object ("" when malformed).
std::string cross_signing_public_key(const json::object& key) {
  const json::object* keys = object_field(key, "keys");
  if (!keys || keys->size() != 1) return "";
  const auto& [id, value] = *keys->begin();
  if (!value.is_string() || id != "ed25519:" + std::string(value.get_string()) || !is_public_key(value.get_string()))
    return "";
  return std::string(value.get_string());
}

std::optional<json::object> parse_stored(const std::string& text) {
  auto parsed = core::parse_json_object(text);
  return parsed ? std::optional(std::move(*parsed)) : std::nullopt;
}

// Checks uploaded device keys: they describe this session's device, list their algorithms and
// keys, and carry a valid signature by the device's own ed25519 key.
core::Status check_device_keys(const json::object& keys, const Session& session) {
  auto text = [&](std::string_view key) -> std::string {
    auto value = keys.if_contains(key);
    return value && value->is_string() ? std::string(value->get_string()) : std::string();
  };
  if (text("user_id") != session.user_id || text("device_id") != session.device_id)
    return core::fail(Errc::kInvalidParam, "device_keys must be for this user and device");
  auto algorithms = keys.if_contains("algorithms");
  if (!algorithms || !algorithms->is_array())
    return core::fail(Errc::kBadJson, "device_keys.algorithms must be an array");
  for (const auto& algorithm : algorithms->get_array())
    if (!algorithm.is_string()) return core::fail(Errc::kBadJson, "device_keys.algorithms must contain strings");
  const json::object* key_map = object_field(keys, "keys");
  if (!key_map) return core::fail(Errc::kBadJson, "device_keys.keys must be an object");
  for (const auto& [id, value] : *key_map) {
    const std::size_t colon = id.find(':');
    if (!value.is_string() || colon == std::string::npos || id.substr(colon + 1) != session.device_id)
      return core::fail(Errc::kBadJson, "device_keys.keys must map <algorithm>:<device_id> to a key");
  }
  const std::string ed25519 = device_ed25519(keys, session.device_id);
  if (!is_public_key(ed25519)) return core::fail(Errc::kInvalidParam, "device_keys needs a valid ed25519 key");
  if (!core::verify_json(keys, session.user_id.str(), "ed25519:" + session.device_id, ed25519))
    return core::fail(Errc::kInvalidSignature, "device_keys are not signed by the device's ed25519 key");
  return {};
}

// Parses {"<algorithm>:<key_id>": key} (one-time or fallback keys). Signed keys must verify
// against the device's ed25519 key.
core::Result<std::vector<storage::OneTimeKey>> parse_keys(const json::value& value, std::string_view field,
                                                          const Session& session, const std::string& ed25519) {
  if (!value.is_object()) return core::fail(Errc::kBadJson, std::string(field) + " must be an object");
  std::vector<storage::OneTimeKey> out;
  for (const auto& [id, key] : value.get_object()) {
    const std::size_t colon = id.find(':');
    if (colon == std::string::npos || colon + 1 == id.size() || id.size() > 255 ||
        !is_algorithm_name(id.substr(0, colon)))
      return core::fail(Errc::kBadJson, std::string(field) + " keys must be <algorithm>:<key_id>");
    if (key.is_object()) {
      auto public_key = key.get_object().if_contains("key");
      if (!public_key || !public_key->is_string()) return core::fail(Errc::kBadJson, "A signed key needs a key");
      if (ed25519.empty()) return core::fail(Errc::kInvalidParam, "Upload device keys before signed keys");
      if (!core::verify_json(key.get_object(), session.user_id.str(), "ed25519:" + session.device_id, ed25519))
        return core::fail(Errc::kInvalidSignature, "Key " + std::string(id) + " is not signed by the device");
    } else if (!key.is_string()) {
      return core::fail(Errc::kBadJson, std::string(field) + " values must be keys");
    }
    out.push_back({std::string(id.substr(0, colon)), std::string(id.substr(colon + 1)), core::canonical_json(key)});
  }
  return out;
}

// Device IDs asked for in keys/query or keys/claim bodies: {"@user": ...} maps.
core::Result<const json::object*> user_map(const json::object& body, std::string_view field) {
  auto value = body.if_contains(field);
  if (!value) return core::fail(Errc::kMissingParam, "Missing " + std::string(field));
  if (!value->is_object()) return core::fail(Errc::kBadJson, std::string(field) + " must be an object");
  for (const auto& [user, devices] : value->get_object())
    if (!core::UserId::parse(user)) return core::fail(Errc::kInvalidParam, "Invalid user ID " + std::string(user));
  return &value->get_object();
}

// The `timeout` of a keys/query or keys/claim body: how long other servers are waited for.
std::chrono::milliseconds remote_timeout(const json::object& body) {
  const json::value* timeout = body.if_contains("timeout");
  const std::int64_t ms = timeout && timeout->is_int64() ? timeout->get_int64() : 10'000;
  return std::chrono::milliseconds(std::clamp<std::int64_t>(ms, 1, 60'000));
}

// The server part of a user ID that user_map() checked.
std::string server_of(std::string_view user_id) { return std::string(core::UserId::parse(user_id)->server()); }

// The device IDs of a keys/query entry: M_BAD_JSON unless an array of strings.
core::Result<std::vector<std::string>> device_list(const json::value& devices) {
  if (!devices.is_array()) return core::fail(Errc::kBadJson, "device_keys values must be arrays of device IDs");
  std::vector<std::string> ids;
  for (const auto& device : devices.get_array()) {
    if (!device.is_string()) return core::fail(Errc::kBadJson, "device_keys values must be arrays of device IDs");
    ids.emplace_back(device.get_string());
  }
  return ids;
}

core::Status check_claim_map(const json::object& users) {
  for (const auto& [user, devices] : users) {
    if (!devices.is_object()) return core::fail(Errc::kBadJson, "one_time_keys values must be objects");
    for (const auto& [device, algorithm] : devices.get_object())
      if (!algorithm.is_string()) return core::fail(Errc::kBadJson, "one_time_keys must name an algorithm per device");
  }
  return {};
}

// Whether a device key another server sent for `user_id` is one: an object naming that user
// and the device it is filed under.
bool is_device_key_of(const json::value& key, std::string_view user_id, std::string_view device_id) {
  if (!key.is_object()) return false;
  const json::value* user = key.get_object().if_contains("user_id");
  const json::value* device = key.get_object().if_contains("device_id");
  return user && user->is_string() && user->get_string() == user_id && device && device->is_string() &&
         device->get_string() == device_id;
}

}  // namespace

core::Result<json::object> Keys::upload(const Session& session, const json::object& body) {
  storage::KeyUpload upload;
  std::string ed25519;
  const auto stored = store_.device_keys(session.user_id, session.device_id);
  if (stored) {
    if (auto parsed = parse_stored(*stored)) ed25519 = device_ed25519(*parsed, session.device_id);
  }
  if (auto device_keys = body.if_contains("device_keys"); device_keys && !device_keys->is_null()) {
    if (!device_keys->is_object()) return core::fail(Errc::kBadJson, "device_keys must be an object");
    json::object keys = device_keys->get_object();
    keys.erase("unsigned");
    if (auto ok = check_device_keys(keys, session); !ok) return std::unexpected(ok.error());
    ed25519 = device_ed25519(keys, session.device_id);
    upload.device_keys = core::canonical_json(keys);
  }
  const storage::KeyCounts counts = store_.key_counts(session.user_id, session.device_id);
  if (auto one_time = body.if_contains("one_time_keys"); one_time && !one_time->is_null()) {
    // Refused before any signature is checked: a request can carry tens of thousands of keys.
    if (one_time->is_object()) {
      if (auto ok = within(one_time->get_object().size(), kMaxKeyAlgorithms * config_.one_time_keys_per_algorithm,
                           "one-time keys");
          !ok)
        return std::unexpected(ok.error());
    }
    auto keys = parse_keys(*one_time, "one_time_keys", session, ed25519);
    if (!keys) return std::unexpected(keys.error());
    std::map<std::string, std::int64_t> kept = counts.one_time;
    for (auto& key : *keys) {
      auto existing = store_.one_time_key(session.user_id, session.device_id, key.algorithm, key.key_id);
      if (existing && *existing != key.json)
        return core::fail(Errc::kInvalidParam, "One-time key " + key.algorithm + ":" + key.key_id + " already exists");
      if (existing) continue;
      if (auto ok = core::within_limit(++kept[key.algorithm], config_.one_time_keys_per_algorithm,
                                       "one-time keys of one algorithm");
          !ok)
        return std::unexpected(ok.error());
      upload.one_time_keys.push_back(std::move(key));
    }
    if (auto ok = within(kept.size(), kMaxKeyAlgorithms, "one-time key algorithms"); !ok)
      return std::unexpected(ok.error());
  }
  for (const char* field : {"fallback_keys", "org.matrix.msc2732.fallback_keys"}) {
    auto fallback = body.if_contains(field);
    if (!fallback || fallback->is_null()) continue;
    if (fallback->is_object()) {
      if (auto ok = within(fallback->get_object().size(), kMaxKeyAlgorithms, "fallback key algorithms"); !ok)
        return std::unexpected(ok.error());
    }
    auto keys = parse_keys(*fallback, field, session, ed25519);
    if (!keys) return std::unexpected(keys.error());
    std::set<std::string> algorithms;
    for (auto& key : *keys) {
      if (!algorithms.insert(key.algorithm).second)
        return core::fail(Errc::kInvalidParam, "One fallback key per algorithm");
      upload.fallback_keys.push_back(std::move(key));
    }
    algorithms.insert(counts.fallback.begin(), counts.fallback.end());
    if (auto ok = within(algorithms.size(), kMaxKeyAlgorithms, "fallback key algorithms"); !ok)
      return std::unexpected(ok.error());
    break;
  }
  const bool device_keys_changed = upload.device_keys && stored != upload.device_keys;
  store_.upload_keys(session.user_id, session.device_id, upload);
  if (device_keys_changed) device_lists_.announce(session.user_id);
  json::object response;
  add_key_counts(session.user_id, session.device_id, response);
  return json::object{{"one_time_key_counts", std::move(response["device_one_time_keys_count"])}};
}

void Keys::add_key_counts(const std::string& user_id, const std::string& device_id, json::object& response) {
  const storage::KeyCounts counts = store_.key_counts(user_id, device_id);
  json::object one_time{{"signed_curve25519", 0}};
  for (const auto& [algorithm, count] : counts.one_time) one_time[algorithm] = count;
  response["device_one_time_keys_count"] = std::move(one_time);
  response["device_unused_fallback_key_types"] =
      json::array(counts.unused_fallback.begin(), counts.unused_fallback.end());
}

void Keys::describe_user(const std::string& user_id, const std::optional<std::vector<std::string>>& devices,
                         const std::string& viewer, json::object& response) {
  const auto signatures = store_.key_signatures(user_id, viewer);
  // Adds the stored signatures on `target_key` to the key object.
  auto add_signatures = [&](json::object& key, const std::string& target_key) {
    for (const auto& signature : signatures) {
      if (signature.target_key != target_key) continue;
      core::child(core::child(key, "signatures"), signature.signer)[signature.signer_key] = signature.signature;
    }
  };

  json::object& user_devices = core::child(core::child(response, "device_keys"), user_id);
  const bool show_names = !viewer.empty() && (viewer == user_id || config_.device_names_visible);
  for (const auto& [device_id, text] : store_.user_device_keys(user_id)) {
    if (devices && !devices->empty() && std::find(devices->begin(), devices->end(), device_id) == devices->end())
      continue;
    auto keys = parse_stored(text);
    if (!keys) continue;
    add_signatures(*keys, device_id);
    if (show_names) {
      if (auto device = account_store_.device(user_id, device_id); device && !device->display_name.empty())
        (*keys)["unsigned"] = json::object{{"device_display_name", device->display_name}};
    }
    user_devices[device_id] = std::move(*keys);
  }

  for (const auto& [type, text] : store_.cross_signing_keys(user_id)) {
    if (type == "user_signing" && viewer != user_id) continue;  // "" (a server) is never the user
    auto key = parse_stored(text);
    if (!key) continue;
    if (type == "master") add_signatures(*key, cross_signing_public_key(*key));
    core::child(response, type + "_keys")[user_id] = std::move(*key);
  }
}

void Keys::ask_servers(std::map<std::string, json::object> remote, std::string_view what, std::string_view field,
                       std::chrono::milliseconds timeout, json::object response,
                       std::function<void(const std::string&, const json::object&, json::object&)> merge, Done done) {
  if (remote.empty()) return done(std::move(response));
  struct Gathering {
    json::object response;
    std::size_t waiting;
    Done done;
  };
  auto gathering = std::make_shared<Gathering>(Gathering{std::move(response), remote.size(), std::move(done)});
  for (auto& [server, users] : remote) {
    remote_(server, what, json::object{{field, std::move(users)}, {"timeout", timeout.count()}}, timeout,
            [gathering, server, merge](core::Result<json::object> answer) {
              if (answer) merge(server, *answer, gathering->response);
              else
                core::child(gathering->response, "failures")[server] =
                    json::object{{"status", answer.error().http_status}, {"message", answer.error().message}};
              if (--gathering->waiting == 0) gathering->done(std::move(gathering->response));
            });
  }
}

void Keys::query(const Session& session, const json::object& body, Done done) {
  auto users = user_map(body, "device_keys");
  if (!users) return done(std::unexpected(users.error()));
  json::object response{{"device_keys", json::object{}},
                        {"master_keys", json::object{}},
                        {"self_signing_keys", json::object{}},
                        {"user_signing_keys", json::object{}},
                        {"failures", json::object{}}};
  std::map<std::string, json::object> remote;
  for (const auto& [user, devices] : **users) {
    auto device_ids = device_list(devices);
    if (!device_ids) return done(std::unexpected(device_ids.error()));
    const std::string server = server_of(user);
    if (server != config_.server_name) remote[server][user] = devices;
    else describe_user(std::string(user), *device_ids, session.user_id, response);
  }
  // Another server's answer counts for its own users, as far as they were asked about.
  auto merge = [asked = remote](const std::string& server, const json::object& answer, json::object& response) {
    const json::object& users = asked.at(server);
    if (const json::value* device_keys = answer.if_contains("device_keys"); device_keys && device_keys->is_object()) {
      for (const auto& [user, devices] : device_keys->get_object()) {
        if (!users.contains(user) || !devices.is_object()) continue;
        json::object& mine = core::child(core::child(response, "device_keys"), user);
        for (const auto& [device_id, key] : devices.get_object())
          if (is_device_key_of(key, user, device_id)) mine[device_id] = key;
      }
    }
    for (const char* type : {"master_keys", "self_signing_keys"}) {
      const json::value* keys = answer.if_contains(type);
      if (!keys || !keys->is_object()) continue;
      for (const auto& [user, key] : keys->get_object())
        if (users.contains(user) && key.is_object()) core::child(response, type)[user] = key;
    }
  };
  ask_servers(std::move(remote), "query", "device_keys", remote_timeout(body), std::move(response), merge,
              std::move(done));
}

core::Result<json::object> Keys::query_for_server(const json::object& body) {
  auto users = user_map(body, "device_keys");
  if (!users) return std::unexpected(users.error());
  json::object response{
      {"device_keys", json::object{}}, {"master_keys", json::object{}}, {"self_signing_keys", json::object{}}};
  for (const auto& [user, devices] : **users) {
    auto device_ids = device_list(devices);
    if (!device_ids) return std::unexpected(device_ids.error());
    if (server_of(user) == config_.server_name) describe_user(std::string(user), *device_ids, "", response);
  }
  return response;
}

void Keys::local_claim(const std::string& user_id, const json::object& devices, json::object& claimed) {
  for (const auto& [device, algorithm] : devices) {
    auto key = store_.claim_key(user_id, std::string(device), std::string(algorithm.get_string()));
    if (!key) continue;
    auto value = core::parse_json(key->json);
    if (!value) continue;
    core::child(core::child(claimed, user_id), device)[key->algorithm + ":" + key->key_id] = std::move(*value);
  }
}

void Keys::claim(const json::object& body, Done done) {
  auto users = user_map(body, "one_time_keys");
  if (!users) return done(std::unexpected(users.error()));
  if (auto ok = check_claim_map(**users); !ok) return done(std::unexpected(ok.error()));
  json::object claimed;
  std::map<std::string, json::object> remote;
  for (const auto& [user, devices] : **users) {
    const std::string server = server_of(user);
    if (server != config_.server_name) remote[server][user] = devices;
    else local_claim(std::string(user), devices.get_object(), claimed);
  }
  auto merge = [asked = remote](const std::string& server, const json::object& answer, json::object& response) {
    const json::value* keys = answer.if_contains("one_time_keys");
    if (!keys || !keys->is_object()) return;
    for (const auto& [user, devices] : keys->get_object())
      if (asked.at(server).contains(user) && devices.is_object())
        core::child(response, "one_time_keys")[user] = devices;
  };
  ask_servers(std::move(remote), "claim", "one_time_keys", remote_timeout(body),
              json::object{{"one_time_keys", std::move(claimed)}, {"failures", json::object{}}}, merge,
              std::move(done));
}

core::Result<json::object> Keys::claim_for_server(const json::object& body) {
  auto users = user_map(body, "one_time_keys");
  if (!users) return std::unexpected(users.error());
  if (auto ok = check_claim_map(**users); !ok) return std::unexpected(ok.error());
  json::object claimed;
  for (const auto& [user, devices] : **users)
    if (server_of(user) == config_.server_name) local_claim(std::string(user), devices.get_object(), claimed);
  return json::object{{"one_time_keys", std::move(claimed)}};
}

core::Result<json::object> Keys::devices_for_server(const std::string& user_id) {
  auto user = core::UserId::parse(user_id);
  if (!user || user->server() != config_.server_name) return core::fail(Errc::kNotFound, "Not a user of this server");
  auto record = account_store_.user(user_id);
  if (!record || record->deactivated) return core::fail(Errc::kNotFound, "Unknown user");
  json::object keys;
  describe_user(user_id, std::nullopt, "", keys);
  json::array devices;
  for (auto& [device_id, key] : core::child(core::child(keys, "device_keys"), user_id))
    devices.push_back(json::object{{"device_id", device_id}, {"keys", std::move(key)}});
  json::object response{
      {"user_id", user_id}, {"stream_id", store_.latest_device_list_change(user_id)}, {"devices", std::move(devices)}};
  for (const auto& [type, field] : {std::pair{"master_keys", "master_key"}, {"self_signing_keys", "self_signing_key"}})
    if (const json::value* key = keys.if_contains(type); key && key->get_object().contains(user_id))
      response[field] = key->get_object().at(user_id);
  return response;
}

core::Result<CrossSigningUpload> Keys::check_cross_signing(const Session& session, const json::object& body) {
  const auto existing = store_.cross_signing_keys(session.user_id);
  CrossSigningUpload upload;
  std::map<std::string, json::object> keys;
  for (const char* type : kCrossSigningTypes) {
    auto value = body.if_contains(std::string(type) + "_key");
    if (!value || value->is_null()) continue;
    if (!value->is_object()) return core::fail(Errc::kBadJson, std::string(type) + "_key must be an object");
    json::object key = value->get_object();
    key.erase("unsigned");
    auto user = key.if_contains("user_id");
    if (!user || !user->is_string() || user->get_string() != session.user_id)
      return core::fail(Errc::kInvalidParam, std::string(type) + "_key must be for this user");
    auto usage = key.if_contains("usage");
    bool has_usage = false;
    if (!usage || !usage->is_array())
      return core::fail(Errc::kBadJson, std::string(type) + "_key.usage must be an array");
    for (const auto& entry : usage->get_array()) has_usage |= entry.is_string() && entry.get_string() == type;
    if (!has_usage) return core::fail(Errc::kInvalidParam, std::string(type) + "_key must have usage " + type);
    const std::string public_key = cross_signing_public_key(key);
    if (public_key.empty())
      return core::fail(Errc::kInvalidParam, std::string(type) + "_key must hold exactly one ed25519 key");
    if (account_store_.device(session.user_id, public_key))
      return core::fail(Errc::kForbidden, std::string(type) + "_key is the ID of one of your devices");
    keys.emplace(type, std::move(key));
  }
  if (keys.empty()) return core::fail(Errc::kMissingParam, "No cross-signing keys given");

  // The self-signing and user-signing keys must be signed by the master key in force.
  std::string master;
  if (auto it = keys.find("master"); it != keys.end()) {
    master = cross_signing_public_key(it->second);
  } else if (auto stored = existing.find("master"); stored != existing.end()) {
    if (auto parsed = parse_stored(stored->second)) master = cross_signing_public_key(*parsed);
  }
  if (master.empty()) return core::fail(Errc::kMissingParam, "A master key is needed first");
  for (const char* type : {"self_signing", "user_signing"}) {
    auto it = keys.find(type);
    if (it != keys.end() && !core::verify_json(it->second, session.user_id.str(), "ed25519:" + master, master))
      return core::fail(Errc::kInvalidSignature, std::string(type) + "_key is not signed by the master key");
  }

  // User-interactive auth unless this is the first master key or every key exactly matches
  // the stored one (a retried upload).
  for (auto& [type, key] : keys) {
    std::string text = core::canonical_json(key);
    auto stored = existing.find(type);
    if (stored == existing.end() || stored->second != text) upload.unchanged = false;
    upload.keys.emplace(type, std::move(text));
  }
  upload.needs_auth = existing.contains("master") && !upload.unchanged;
  return upload;
}

bool Keys::is_cross_signing_key(const std::string& user_id, const std::string& key) {
  for (const auto& [type, text] : store_.cross_signing_keys(user_id)) {
    auto parsed = parse_stored(text);
    if (parsed && cross_signing_public_key(*parsed) == key) return true;
  }
  return false;
}

void Keys::store_cross_signing(const Session& session, const CrossSigningUpload& upload) {
  if (upload.unchanged) return;
  store_.set_cross_signing_keys(session.user_id, upload.keys);
  device_lists_.announce(session.user_id);
}

namespace {

std::optional<json::object> stored_cross_signing_key(storage::KeyStore& store, const std::string& user,
                                                     const std::string& type) {
  auto keys = store.cross_signing_keys(user);
  auto it = keys.find(type);
  return it == keys.end() ? std::nullopt : parse_stored(it->second);
}

// What a signature upload for `user`'s key `target` signs, and which of the uploader's keys
// must have signed it (key ID -> public key); no `stored` when the key is unknown.
struct SignatureTarget {
  std::optional<json::object> stored;
  std::vector<std::pair<std::string, std::string>> signers;
};

SignatureTarget signature_target(storage::KeyStore& store, const std::string& self, const std::string& user,
                                 const std::string& target, const std::optional<json::object>& own_self_signing,
                                 const std::optional<json::object>& own_user_signing) {
  SignatureTarget out;
  auto add_signer = [&out](const std::optional<json::object>& key) {
    if (!key) return;
    const std::string public_key = cross_signing_public_key(*key);
    out.signers.emplace_back("ed25519:" + public_key, public_key);
  };
  auto master = stored_cross_signing_key(store, user, "master");
  const bool is_master = master && cross_signing_public_key(*master) == target;
  if (user == self && is_master) {
    out.stored = master;  // the user's master key, signed by one of their devices
    for (const auto& [device_id, text] : store.user_device_keys(self)) {
      if (auto keys = parse_stored(text))
        out.signers.emplace_back("ed25519:" + device_id, device_ed25519(*keys, device_id));
    }
  } else if (user == self) {
    if (auto device = store.device_keys(self, target)) {
      out.stored = parse_stored(*device);  // one of the user's devices, signed by their self-signing key
      add_signer(own_self_signing);
    }
  } else if (is_master) {
    out.stored = master;  // another user's master key, signed by the uploader's user-signing key
    add_signer(own_user_signing);
  }
  return out;
}

// The signatures by `self` in `signed_object` made with one of `signers`; empty when there is
// none, or when one of them does not verify.
std::vector<storage::KeySignature> verified_signatures(const json::object& signed_object, const std::string& self,
                                                       const std::string& user, const std::string& target,
                                                       const SignatureTarget& what) {
  const json::object* by_self = nullptr;
  if (const json::object* all = object_field(signed_object, "signatures")) by_self = object_field(*all, self);
  std::vector<storage::KeySignature> found;
  if (!by_self) return found;
  for (const auto& [key_id, public_key] : what.signers) {
    auto signature = by_self->if_contains(key_id);
    if (!signature) continue;
    if (!signature->is_string() || !core::verify_json(signed_object, self, key_id, public_key)) return {};
    found.push_back({user, target, self, key_id, std::string(signature->get_string())});
  }
  return found;
}

}  // namespace

core::Result<json::object> Keys::upload_signatures(const Session& session, const json::object& body) {
  const std::string& self = session.user_id;
  const auto own_self_signing = stored_cross_signing_key(store_, self, "self_signing");
  const auto own_user_signing = stored_cross_signing_key(store_, self, "user_signing");

  std::vector<storage::KeySignature> accepted;
  json::object failures;
  for (const auto& [user_key, targets] : body) {
    const std::string user(user_key);
    if (!core::UserId::parse(user)) return core::fail(Errc::kInvalidParam, "Invalid user ID " + user);
    if (!targets.is_object()) return core::fail(Errc::kBadJson, "Signatures must be grouped by user and key");
    for (const auto& [target_key, value] : targets.get_object()) {
      const std::string target(target_key);
      auto fail = [&](Errc code, std::string message) {
        core::child(failures, user)[target] = core::make_error(code, std::move(message)).to_json();
      };
      if (!value.is_object()) {
        fail(Errc::kBadJson, "A signed key object is needed");
        continue;
      }
      const json::object& signed_object = value.get_object();
      const SignatureTarget what = signature_target(store_, self, user, target, own_self_signing, own_user_signing);
      if (!what.stored) {
        fail(Errc::kNotFound, "Unknown key " + target + " of " + user);
        continue;
      }
      if (signed_part(*what.stored) != signed_part(signed_object)) {
        fail(Errc::kInvalidParam, "The signed object does not match the stored key");
        continue;
      }
      std::vector<storage::KeySignature> found = verified_signatures(signed_object, self, user, target, what);
      if (found.empty()) {
        fail(Errc::kInvalidSignature, "No valid signature by a key of " + self + " that may sign this key");
        continue;
      }
      accepted.insert(accepted.end(), found.begin(), found.end());
    }
  }
  store_.add_key_signatures(accepted);
  std::set<std::string> announced;
  for (const auto& signature : accepted) {
    if (!announced.insert(signature.target_user).second) continue;
    if (signature.target_user == self) device_lists_.announce(self);
    else device_lists_.announce_to(self);
  }
  return json::object{{"failures", std::move(failures)}};
}

}  // namespace myelin::homeserver
