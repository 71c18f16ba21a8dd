#pragma once
// End-to-end encryption keys (client-server-api "End-to-End Encryption"): device keys,
// one-time and fallback keys, cross-signing keys and signatures. Every signature the server
// is given is verified before anything is stored; a request is stored whole or not at all.
// Device display names reach other users only when `privacy.device_names_visible` is on.
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
  Keys(const E2eeOptions& config, storage::KeyStore& store, storage::AccountStore& account_store,
       DeviceLists& device_lists)
      : config_(config), store_(store), account_store_(account_store), device_lists_(device_lists) {}

  // POST keys/upload: {"one_time_key_counts": ...}. M_BAD_JSON / M_INVALID_PARAM for malformed
  // keys, M_INVALID_SIGNATURE when a signature does not verify.
  core::Result<json::object> upload(const Session& session, const json::object& body);
  // POST keys/query.
  core::Result<json::object> query(const Session& session, const json::object& body);
  // POST keys/claim: a one-time key per device, or its fallback key when none is left.
  core::Result<json::object> claim(const json::object& body);

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
  // The user's keys as keys/query shows them to `viewer`.
  void describe_user(const std::string& user_id, const std::optional<std::vector<std::string>>& devices,
                     const std::string& viewer, json::object& response);

  const E2eeOptions& config_;
  storage::KeyStore& store_;
  storage::AccountStore& account_store_;
  DeviceLists& device_lists_;
};

}  // namespace myelin::homeserver
