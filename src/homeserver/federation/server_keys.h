#pragma once
// Server signing keys as documents (server-server-api "Retrieving server keys"): ours, as
// GET /_matrix/key/v2/server publishes it, and another server's, checked before the key ring
// trusts it.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto.h"
#include "core/error.h"
#include "core/json.h"
#include "homeserver/federation/key_ring.h"
#include "homeserver/federation/options.h"
#include "storage/server_key_store.h"

namespace myelin::homeserver {

// How long our published document says our keys stay valid. Short, so that a rotation is
// noticed within a day; the spec asks for more than an hour.
inline constexpr std::int64_t kOwnKeysValidityMs = 24 * 3600 * 1000;
// The spec's cap on another server's valid_until_ts: at most 7 days after we fetched it.
inline constexpr std::int64_t kMaxKeyValidityMs = 7 * 24 * 3600 * 1000;
// Keys per document that we accept (verify_keys and old_verify_keys together).
inline constexpr std::size_t kMaxKeysPerDocument = 16;

// Our key document at `now_ms`, signed with `key`.
json::object own_key_document(std::string_view server_name, const core::SigningKey& key,
                              const std::vector<OldVerifyKey>& old_keys, std::int64_t now_ms);

// What the key API (/_matrix/key/v2) serves: our document, with FederationOptions' old keys,
// and — with federation.serve_key_notary — other servers' documents, countersigned.
class KeyServer {
 public:
  KeyServer(const FederationOptions& options, const core::SigningKey& key, KeyRing& ring)
      : options_(options), key_(key), ring_(ring) {}
  json::object document() const;
  // GET /_matrix/key/v2/query/{serverName} and POST /_matrix/key/v2/query: {server_keys: [...]}
  // for `servers` (KeyRing::notarise); M_FORBIDDEN unless this server is a notary. `done` may
  // run before this returns.
  void query(std::map<std::string, KeyRing::Criteria> servers, std::function<void(core::Result<json::object>)> done);

 private:
  const FederationOptions& options_;
  const core::SigningKey& key_;
  KeyRing& ring_;
};

// The keys of `server_name`'s document `document` (its own answer, or one entry of a notary's),
// fetched at `now_ms`: M_UNAUTHORIZED unless it names that server, is signed by one of its
// verify_keys and every such signature verifies, has at most kMaxKeysPerDocument keys of 32
// bytes, and a valid_until_ts (capped at now + kMaxKeyValidityMs).
core::Result<std::vector<storage::ServerKeyRecord>> parse_server_keys(const json::value& document,
                                                                      std::string_view server_name,
                                                                      std::int64_t now_ms);

// The old keys file (`signing.key.old` beside the key): one line per key,
// "ed25519 <version> <public key> <expired_ts>", newest last. A missing file is no old keys.
core::Result<std::vector<OldVerifyKey>> load_old_keys(const std::string& path);
// Writes the file (fsynced, with its folder), keeping the newest kMaxOldKeys.
core::Status save_old_keys(const std::string& path, std::vector<OldVerifyKey> keys);
inline constexpr std::size_t kMaxOldKeys = 10;

}  // namespace myelin::homeserver
