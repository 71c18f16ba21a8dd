#include "homeserver/federation/key_ring.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <set>

#include "core/clock.h"
#include "homeserver/federation/server_keys.h"

namespace myelin::homeserver {

KeyRing::KeyRing(const FederationOptions& options, const core::SigningKey& own_key, storage::ServerKeyStore& store,
                 Transport& transport)
    : options_(options), own_key_(own_key), store_(store), transport_(transport) {}

KeyRing::Server& KeyRing::server(const std::string& name) {
  auto it = servers_.find(name);
  if (it == servers_.end()) {
    // Full: forget servers nobody waits for (their keys stay in the store).
    for (auto victim = servers_.begin(); servers_.size() >= kMaxServers && victim != servers_.end();)
      victim = victim->second.fetching ? std::next(victim) : servers_.erase(victim);
    it = servers_.emplace(name, Server{}).first;
  }
  Server& entry = it->second;
  if (!entry.loaded) {
    entry.keys = store_.server_keys(name);
    entry.loaded = true;
  }
  return entry;
}

bool KeyRing::has(const Server& server, const KeyNeed& need) const {
  for (const auto& key : server.keys)
    if (key.key_id == need.key_id) return key.expired_ts || key.valid_until_ts >= need.minimum_valid_until_ts;
  return false;
}

void KeyRing::fetch(std::vector<KeyNeed> needs, std::function<void(KeyLookup)> done) {
  std::set<std::string> missing;
  for (const KeyNeed& need : needs) {
    if (need.server == options_.server_name || missing.contains(need.server)) continue;
    if (missing.size() >= kMaxServersPerFetch) break;  // the rest stay unknown: their checks fail
    if (!has(server(need.server), need)) missing.insert(need.server);
  }
  auto finish_all = [this, done = std::move(done)] {
    done([this](std::string_view server, std::string_view key_id) { return lookup(server, key_id); });
  };
  if (missing.empty()) return finish_all();
  auto remaining = std::make_shared<std::size_t>(missing.size());
  auto one_done = [remaining, finish_all = std::move(finish_all)] {
    if (--*remaining == 0) finish_all();
  };
  const std::int64_t now = core::now_ms();
  for (const std::string& name : missing) {
    Server& entry = server(name);
    if (!entry.fetching && entry.failed_at && now - entry.failed_at < kRetryAfterFailureMs) {
      one_done();
      continue;
    }
    entry.waiting.push_back(one_done);
    if (!entry.fetching) request_keys(name);
  }
}

void KeyRing::request_keys(const std::string& name) {
  servers_.at(name).fetching = true;
  OutgoingRequest request{
      name, "GET", "/_matrix/key/v2/server", std::nullopt, false, kMaxKeyAnswerBytes, std::chrono::seconds(15)};
  transport_.send(std::move(request), [this, name](IncomingResponse response) { finish(name, response); });
}

void KeyRing::finish(const std::string& name, const IncomingResponse& response) {
  auto it = servers_.find(name);
  if (it == servers_.end()) return;  // cannot happen: an entry being fetched is never evicted
  Server& entry = it->second;
  entry.fetching = false;
  const std::int64_t now = core::now_ms();
  core::Result<std::vector<storage::ServerKeyRecord>> keys = core::fail(
      core::Errc::kUnknown, response.status == 0 ? response.error : "HTTP " + std::to_string(response.status));
  if (response.status == 200) {
    auto document = core::parse_json(response.body);
    keys = document ? parse_server_keys(*document, name, now) : std::unexpected(document.error());
  }
  if (keys) {
    store_.store_server_keys(*keys);
    for (auto& key : *keys) {
      std::erase_if(entry.keys, [&key](const auto& k) { return k.key_id == key.key_id; });
      entry.keys.push_back(std::move(key));
    }
    entry.failed_at = 0;
  } else {
    spdlog::info("federation: no keys from {}: {}", name, keys.error().message);
    entry.failed_at = now;
  }
  auto waiting = std::move(entry.waiting);
  entry.waiting.clear();
  for (auto& wake : waiting) wake();
}

std::optional<VerifyKey> KeyRing::lookup(std::string_view server, std::string_view key_id) const {
  if (server == options_.server_name) {
    if (key_id == own_key_.key_id()) return VerifyKey{own_key_.public_key_base64(), INT64_MAX, std::nullopt};
    for (const OldVerifyKey& old : options_.old_verify_keys)
      if (old.key_id == key_id) return VerifyKey{old.public_key, old.expired_ts, old.expired_ts};
    return std::nullopt;
  }
  const auto it = servers_.find(server);
  if (it == servers_.end()) return std::nullopt;
  for (const auto& key : it->second.keys)
    if (key.key_id == key_id) return VerifyKey{key.public_key, key.valid_until_ts, key.expired_ts};
  return std::nullopt;
}

void KeyRing::purge(std::int64_t now_ms) {
  const std::int64_t before = now_ms - 7 * 24 * 3600 * 1000LL;
  store_.purge_server_keys(before);
  for (auto& [name, entry] : servers_)
    std::erase_if(entry.keys, [before](const auto& k) { return k.expired_ts.value_or(k.valid_until_ts) < before; });
}

}  // namespace myelin::homeserver
