#pragma once
// For tests: a KeyFetcher that knows the keys it is given and answers at once.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "homeserver/federation/pdu_checks.h"

namespace myelin::homeserver::testing {

// Every test server's key, by server name; a server not listed has no key known.
class FakeKeyFetcher final : public KeyFetcher {
 public:
  std::map<std::string, const core::SigningKey*> keys;
  int fetches = 0;
  void fetch(std::vector<KeyNeed>, std::function<void(KeyLookup)> done) override {
    ++fetches;
    done([this](std::string_view server, std::string_view key_id) -> std::optional<VerifyKey> {
      auto it = keys.find(std::string(server));
      if (it == keys.end() || it->second->key_id() != key_id) return std::nullopt;
      return VerifyKey{it->second->public_key_base64(), std::int64_t{1} << 62, std::nullopt};
    });
  }
};

}  // namespace myelin::homeserver::testing
