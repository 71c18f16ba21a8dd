#pragma once
// End-to-end encryption keys (client-server-api "End-to-End Encryption"): device keys,
// one-time and fallback keys, cross-signing keys and signatures. Every signature the server
// is given is verified before anything is stored; a request is stored whole or not at all.
// Device display names reach other users only when `privacy.device_names_visible` is on.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/accounts/accounts.h"
#include "homeserver/e2ee/device_lists.h"
#include "homeserver/e2ee/options.h"
#include "storage/account_store.h"
#include "storage/key_store.h"

namespace myelin::homeserver {

// A checked keys/device_signing/upload request.
struct CrossSigningUpload {
  std::map<std::string, std::string> keys;  // key type -> canonical JSON
  bool needs_auth = false;                  // replaces existing keys: user-interactive auth first
  bool unchanged = true;                    // every key is exactly the stored one: nothing to do
};

class Keys {
 public:
  using Done = std::function<void(core::Result<json::object>)>;
  // One request to another server's keys API (federation's RemoteKeys, wired in homeserver.h):
  // POST /_matrix/federation/v1/user/keys/`what` ("query" or "claim") with `body`; `done` on
  // the loop, once, with the answer's object or why there is none.
  using RemoteRequest = std::function<void(const std::string& server, std::string_view what, json::object body,
                                           std::chrono::milliseconds timeout, Done done)>;
  Keys(const E2eeOptions& config, storage::KeyStore& store, storage::AccountStore& account_store,
       DeviceLists& device_lists, RemoteRequest remote)
      : config_(config),
        store_(store),
        account_store_(account_store),
        device_lists_(device_lists),
        remote_(std::move(remote)) {}

  // POST keys/upload: {"one_time_key_counts": ...}. M_BAD_JSON / M_INVALID_PARAM for malformed
  // keys, M_INVALID_SIGNATURE when a signature does not verify.
  core::Result<json::object> upload(const Session& session, const json::object& body);
  // POST keys/query. Other servers' users are asked of their servers (at most `timeout` in
  // the body, 10 s by default); a server that fails is named in `failures`. `done` may run
  // before this returns.
  void query(const Session& session, const json::object& body, Done done);
  // POST keys/claim: a one-time key per device, or its fallback key when none is left; other
  // servers' as for query.
  void claim(const json::object& body, Done done);
  // The same asked by another server (user/keys/query, user/keys/claim): this server's users
  // only, others left out. PRIVACY: device display names are never included, whatever
  // privacy.device_names_visible says, and neither are user-signing keys.
  core::Result<json::object> query_for_server(const json::object& body);
  core::Result<json::object> claim_for_server(const json::object& body);
  // GET /_matrix/federation/v1/user/devices/{userId} for a user of this server: M_NOT_FOUND
  // otherwise. `stream_id` is the position of the user's latest device-list change.
  core::Result<json::object> devices_for_server(const std::string& user_id);

  // For /sync: device_one_time_keys_count (signed_curve25519 always present) and
  // device_unused_fallback_key_types.
  void add_key_counts(const std::string& user_id, const std::string& device_id, json::object& response);

  // POST keys/device_signing/upload, in two steps around user-interactive auth.
  core::Result<CrossSigningUpload> check_cross_signing(const Session& session, const json::object& body);
  void store_cross_signing(const Session& session, const CrossSigningUpload& upload);
  // Whether `key` is the public key of one of the user's cross-signing keys.
  bool is_cross_signing_key(const std::string& user_id, const std::string& key);
  // POST keys/signatures/upload: {"failures": ...}; the valid signatures are stored.
  core::Result<json::object> upload_signatures(const Session& session, const json::object& body);

 private:
  // The user's keys as keys/query shows them to `viewer` ("": another server).
  void describe_user(const std::string& user_id, const std::optional<std::vector<std::string>>& devices,
                     const std::string& viewer, json::object& response);
  // The local part of a query or claim (local_claim's claimed keys go into `claimed`).
  void local_claim(const std::string& user_id, const json::object& devices, json::object& claimed);
  // Asks each server in `remote` (server -> the request body's user map) under `field`, then
  // `merge` puts each answer into `response`, `failures` naming the servers that failed.
  void ask_servers(
      std::map<std::string, json::object> remote, std::string_view what, std::string_view field,
      std::chrono::milliseconds timeout, json::object response,
      std::function<void(const std::string& server, const json::object& answer, json::object& response)> merge,
      Done done);

  const E2eeOptions& config_;
  storage::KeyStore& store_;
  storage::AccountStore& account_store_;
  DeviceLists& device_lists_;
  RemoteRequest remote_;
};

}  // namespace myelin::homeserver
