#include "homeserver/federation/key_ring.h"

#include <spdlog/spdlog.h>

#include <algorithm>
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
  if (need.key_id.empty()) return false;  // "whatever keys it has now" (notarise)
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
  if (response.status != 200)
    return give_up(name, response.status == 0 ? response.error : "HTTP " + std::to_string(response.status));
  auto document = core::parse_json(response.body);
  if (!document) return give_up(name, document.error().message);
  auto keys = parse_server_keys(*document, name, core::now_ms());
  if (!keys) return give_up(name, keys.error().message);
  accept(name, std::move(*keys), document->get_object());
}

void KeyRing::give_up(const std::string& name, const std::string& why) {
  spdlog::info("federation: no keys from {}: {}", name, why);
  const auto& notaries = options_.trusted_key_servers;
  const bool is_notary = std::find(notaries.begin(), notaries.end(), name) != notaries.end();
  if (!notaries.empty() && !is_notary) return ask_notary(name, 0);
  Server& entry = servers_.at(name);
  entry.failed_at = core::now_ms();
  wake(entry);
}

void KeyRing::ask_notary(const std::string& name, std::size_t index) {
  if (index >= options_.trusted_key_servers.size()) {
    Server& entry = servers_.at(name);
    entry.failed_at = core::now_ms();
    return wake(entry);
  }
  json::object query{{"server_keys", json::object{{name, json::object{}}}}};
  OutgoingRequest request{options_.trusted_key_servers[index],
                          "POST",
                          "/_matrix/key/v2/query",
                          json::value(std::move(query)),
                          true,
                          kMaxKeyAnswerBytes,
                          std::chrono::seconds(15)};
  transport_.send(std::move(request),
                  [this, name, index](IncomingResponse response) { notary_answered(name, index, response); });
}

void KeyRing::notary_answered(const std::string& name, std::size_t index, const IncomingResponse& response) {
  const std::string& notary = options_.trusted_key_servers[index];
  auto body =
      response.status == 200 ? core::parse_json_object(response.body) : core::fail(core::Errc::kUnknown, "no answer");
  const json::value* list = body ? body->if_contains("server_keys") : nullptr;
  const json::object* document = nullptr;
  if (list && list->is_array())
    for (const json::value& item : list->get_array())
      if (item.is_object() && item.get_object().if_contains("server_name") &&
          item.get_object().at("server_name") == json::value(name))
        document = &item.get_object();
  auto keys =
      document ? parse_server_keys(*document, name, core::now_ms()) : core::fail(core::Errc::kUnknown, "no document");
  const json::value* signatures = document ? document->if_contains("signatures") : nullptr;
  const json::value* by_notary =
      signatures && signatures->is_object() ? signatures->get_object().if_contains(notary) : nullptr;
  if (!keys || !by_notary || !by_notary->is_object() || by_notary->get_object().size() > kMaxKeysPerDocument)
    return ask_notary(name, index + 1);
  // The notary's own keys, from the notary itself.
  std::vector<KeyNeed> needs;
  for (const auto& entry : by_notary->get_object()) needs.push_back({notary, std::string(entry.key()), core::now_ms()});
  fetch(std::move(needs),
        [this, name, index, notary, keys = std::move(*keys), document = *document](KeyLookup lookup) mutable {
          bool vouched = false;
          for (const auto& entry : document.at("signatures").at(notary).get_object()) {
            auto key = lookup(notary, entry.key());
            if (key && !key->expired_ts && core::verify_json(document, notary, entry.key(), key->public_key))
              vouched = true;
          }
          if (!vouched) return ask_notary(name, index + 1);
          accept(name, std::move(keys), document);
        });
}

void KeyRing::accept(const std::string& name, std::vector<storage::ServerKeyRecord> keys,
                     const json::object& document) {
  std::int64_t valid_until = 0;
  for (const auto& key : keys)
    if (!key.expired_ts) valid_until = std::max(valid_until, key.valid_until_ts);
  store_.store_server_keys(name, keys, core::to_string(document), valid_until);
  Server& entry = servers_.at(name);
  for (auto& key : keys) {
    std::erase_if(entry.keys, [&key](const auto& k) { return k.key_id == key.key_id; });
    entry.keys.push_back(std::move(key));
  }
  entry.failed_at = 0;
  wake(entry);
}

void KeyRing::wake(Server& entry) {
  entry.fetching = false;
  auto waiting = std::move(entry.waiting);
  entry.waiting.clear();
  for (auto& wake : waiting) wake();
}

void KeyRing::notarise(std::map<std::string, Criteria> servers, std::function<void(json::array)> done) {
  if (servers.size() > kMaxServersPerFetch)
    servers.erase(std::next(servers.begin(), kMaxServersPerFetch), servers.end());
  std::vector<KeyNeed> needs;
  const std::int64_t now = core::now_ms();
  for (const auto& [name, criteria] : servers) {
    if (name == options_.server_name) continue;
    const std::int64_t minimum = criteria.minimum_valid_until_ts ? criteria.minimum_valid_until_ts : now;
    Server& entry = server(name);
    auto valid = [&](const std::string& key_id) {
      return std::any_of(entry.keys.begin(), entry.keys.end(),
                         [&](const auto& k) { return k.key_id == key_id && k.valid_until_ts >= minimum; });
    };
    bool fresh = criteria.key_ids.empty()
                     ? std::any_of(entry.keys.begin(), entry.keys.end(),
                                   [&](const auto& k) { return !k.expired_ts && k.valid_until_ts >= minimum; })
                     : std::all_of(criteria.key_ids.begin(), criteria.key_ids.end(), valid);
    if (fresh) continue;
    // Asked for fresh keys: a recent failure does not stop the notary asking again.
    entry.failed_at = 0;
    needs.push_back({name, "", 0});
  }
  fetch(std::move(needs), [this, servers = std::move(servers), done = std::move(done)](const KeyLookup&) {
    json::array documents;
    for (const auto& [name, criteria] : servers) {
      if (name == options_.server_name) {
        documents.push_back(own_key_document(options_.server_name, own_key_, options_.old_verify_keys, core::now_ms()));
        continue;
      }
      for (const std::string& stored : store_.server_key_documents(name)) {
        auto document = core::parse_json_object(stored);
        if (!document) continue;
        auto lists = [&document](const std::string& key_id) {
          for (const char* field : {"verify_keys", "old_verify_keys"}) {
            const json::value* keys = document->if_contains(field);
            if (keys && keys->is_object() && keys->get_object().contains(key_id)) return true;
          }
          return false;
        };
        if (!criteria.key_ids.empty() && std::none_of(criteria.key_ids.begin(), criteria.key_ids.end(), lists))
          continue;
        core::sign_json(*document, options_.server_name, own_key_);
        documents.push_back(std::move(*document));
      }
    }
    done(std::move(documents));
  });
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
