#include "homeserver/federation/server_keys.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/base64.h"
#include "core/clock.h"
#include "core/files.h"
#include "core/ids.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

core::Error unauthorized(std::string_view server, const std::string& why) {
  return core::make_error(Errc::kUnauthorized, "the keys of " + std::string(server) + " " + why, 401);
}

// The unpadded base64 `key` of an entry {"key": "..."} when it is a 32-byte ed25519 key.
std::optional<std::string> public_key_of(const json::value& entry) {
  if (!entry.is_object()) return std::nullopt;
  const json::value* key = entry.get_object().if_contains("key");
  if (!key || !key->is_string()) return std::nullopt;
  const auto bytes = core::base64_decode(key->get_string());
  if (!bytes || bytes->size() != 32) return std::nullopt;
  return std::string(key->get_string());
}

bool is_ed25519_key_id(std::string_view key_id) {
  return key_id.starts_with("ed25519:") && key_id.size() > 8 && key_id.size() <= 128;
}

}  // namespace

json::object own_key_document(std::string_view server_name, const core::SigningKey& key,
                              const std::vector<OldVerifyKey>& old_keys, std::int64_t now_ms) {
  json::object verify_keys;
  verify_keys[key.key_id()] = json::object{{"key", key.public_key_base64()}};
  json::object old;
  for (const OldVerifyKey& k : old_keys)
    old[k.key_id] = json::object{{"key", k.public_key}, {"expired_ts", k.expired_ts}};
  json::object document{{"server_name", server_name},
                        {"valid_until_ts", now_ms + kOwnKeysValidityMs},
                        {"verify_keys", std::move(verify_keys)},
                        {"old_verify_keys", std::move(old)}};
  core::sign_json(document, server_name, key);
  return document;
}

json::object KeyServer::document() const {
  return own_key_document(options_.server_name, key_, options_.old_verify_keys, core::now_ms());
}

void KeyServer::query(std::map<std::string, KeyRing::Criteria> servers,
                      std::function<void(core::Result<json::object>)> done) {
  if (!options_.serve_key_notary || !options_.enabled)
    return done(core::fail(Errc::kForbidden, "This server is not a key notary"));
  for (auto it = servers.begin(); it != servers.end();)
    it = core::is_valid_server_name(it->first) && options_.may_talk_to(it->first) ? std::next(it) : servers.erase(it);
  ring_.notarise(std::move(servers), [done = std::move(done)](json::array documents) {
    done(json::object{{"server_keys", std::move(documents)}});
  });
}

core::Result<std::vector<storage::ServerKeyRecord>> parse_server_keys(const json::value& document,
                                                                      std::string_view server_name,
                                                                      std::int64_t now_ms) {
  if (!document.is_object()) return std::unexpected(unauthorized(server_name, "are not a JSON object"));
  const json::object& doc = document.get_object();
  const json::value* name = doc.if_contains("server_name");
  if (!name || !name->is_string() || name->get_string() != server_name)
    return std::unexpected(unauthorized(server_name, "name another server"));
  const json::value* valid_until = doc.if_contains("valid_until_ts");
  if (!valid_until || !valid_until->is_int64())
    return std::unexpected(unauthorized(server_name, "have no valid_until_ts"));
  const json::value* verify = doc.if_contains("verify_keys");
  if (!verify || !verify->is_object()) return std::unexpected(unauthorized(server_name, "have no verify_keys"));
  const json::value* old = doc.if_contains("old_verify_keys");
  if (old && !old->is_object()) return std::unexpected(unauthorized(server_name, "have malformed old_verify_keys"));
  const std::size_t count = verify->get_object().size() + (old ? old->get_object().size() : 0);
  if (count > kMaxKeysPerDocument) return std::unexpected(unauthorized(server_name, "are too many"));

  const std::int64_t until = std::min(valid_until->get_int64(), now_ms + kMaxKeyValidityMs);
  std::vector<storage::ServerKeyRecord> keys;
  for (const auto& entry : verify->get_object()) {
    auto key = public_key_of(entry.value());
    if (!is_ed25519_key_id(entry.key()) || !key) continue;  // other algorithms: not ours to check
    keys.push_back({std::string(server_name), std::string(entry.key()), std::move(*key), until, std::nullopt});
  }
  // Self-signed: by one of its current keys at least, and every such signature verifies.
  const json::value* signatures = doc.if_contains("signatures");
  const json::value* own =
      signatures && signatures->is_object() ? signatures->get_object().if_contains(server_name) : nullptr;
  if (!own || !own->is_object()) return std::unexpected(unauthorized(server_name, "are not signed by it"));
  bool signed_by_a_key = false;
  for (const auto& signature : own->get_object()) {
    const auto key = std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.key_id == signature.key(); });
    if (key == keys.end()) continue;
    if (!core::verify_json(doc, server_name, key->key_id, key->public_key))
      return std::unexpected(unauthorized(server_name, "carry a signature that does not verify"));
    signed_by_a_key = true;
  }
  if (!signed_by_a_key) return std::unexpected(unauthorized(server_name, "are not signed by any of its keys"));

  if (old) {
    for (const auto& entry : old->get_object()) {
      auto key = public_key_of(entry.value());
      const json::value* expired =
          entry.value().is_object() ? entry.value().get_object().if_contains("expired_ts") : nullptr;
      if (!is_ed25519_key_id(entry.key()) || !key || !expired || !expired->is_int64()) continue;
      keys.push_back({std::string(server_name), std::string(entry.key()), std::move(*key), expired->get_int64(),
                      expired->get_int64()});
    }
  }
  return keys;
}

core::Result<std::vector<OldVerifyKey>> load_old_keys(const std::string& path) {
  std::ifstream file(path);
  if (!file) return std::vector<OldVerifyKey>{};
  std::vector<OldVerifyKey> keys;
  std::string line;
  while (std::getline(file, line)) {
    std::istringstream words(line);
    std::string algorithm, version, public_key, extra;
    std::int64_t expired_ts = 0;
    if (!(words >> algorithm)) continue;
    if (algorithm != "ed25519" || !(words >> version >> public_key >> expired_ts) || (words >> extra) ||
        !public_key_of(json::object{{"key", public_key}}))
      return core::fail(Errc::kUnknown, "malformed old signing keys file " + path);
    keys.push_back({"ed25519:" + version, public_key, expired_ts});
  }
  return keys;
}

core::Status save_old_keys(const std::string& path, std::vector<OldVerifyKey> keys) {
  if (keys.size() > kMaxOldKeys) keys.erase(keys.begin(), keys.end() - kMaxOldKeys);
  std::string content;
  for (const OldVerifyKey& k : keys)
    content += "ed25519 " + k.key_id.substr(8) + " " + k.public_key + " " + std::to_string(k.expired_ts) + "\n";
  if (!core::write_file_durably(path, content, 0644)) return core::fail(Errc::kUnknown, "cannot write " + path);
  return {};
}

}  // namespace myelin::homeserver
