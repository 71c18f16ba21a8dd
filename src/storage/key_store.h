#pragma once
// End-to-end encryption keys (storage/store.h has the contract): device keys, one-time and
// fallback keys, cross-signing keys, signatures, and the device-list changes they make.
// The writes below that change what keys/query answers about a user record a change of that
// user at a new position (so do AccountStore's device deletions, and mark_device_list_changed);
// device_list_changes() reads them back.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/common.h"

namespace myelin::storage {

struct OneTimeKey {
  std::string algorithm;  // signed_curve25519, ...
  std::string key_id;     // without the algorithm
  std::string json;       // the key object (or JSON string) as uploaded
};

struct KeyCounts {
  std::map<std::string, std::int64_t> one_time;  // algorithm -> keys left
  std::vector<std::string> unused_fallback;      // algorithms
  std::vector<std::string> fallback;             // algorithms with a fallback key, used or not
};

struct KeyUpload {
  std::optional<std::string> device_keys;  // canonical JSON of the device keys
  std::vector<OneTimeKey> one_time_keys;
  std::vector<OneTimeKey> fallback_keys;  // at most one per algorithm
};

// A signature uploaded through keys/signatures/upload, on a device (target_key = device ID)
// or cross-signing key (target_key = its public key).
struct KeySignature {
  std::string target_user, target_key, signer, signer_key, signature;
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // Stores the upload in one transaction; a change of the device keys is a device-list change.
  virtual void upload_keys(const std::string& user_id, const std::string& device_id, const KeyUpload& upload) = 0;
  virtual std::optional<std::string> device_keys(const std::string& user_id, const std::string& device_id) = 0;
  // device ID -> device keys JSON, for the devices that uploaded keys.
  virtual std::map<std::string, std::string> user_device_keys(const std::string& user_id) = 0;
  virtual std::optional<std::string> one_time_key(const std::string& user_id, const std::string& device_id,
                                                  const std::string& algorithm, const std::string& key_id) = 0;
  // The device's one-time keys left per algorithm and the algorithms of its unused fallback keys.
  virtual KeyCounts key_counts(const std::string& user_id, const std::string& device_id) = 0;
  // Removes and returns a one-time key of the algorithm; when none is left, returns the
  // fallback key and marks it used. nullopt when the device has neither.
  virtual std::optional<OneTimeKey> claim_key(const std::string& user_id, const std::string& device_id,
                                              const std::string& algorithm) = 0;

  // key type (master, self_signing, user_signing) -> key JSON.
  virtual std::map<std::string, std::string> cross_signing_keys(const std::string& user_id) = 0;
  // Replaces the given types (a device-list change of the user). Signatures stored for the
  // replaced keys stay behind but no longer match a key (keys/query merges by key ID).
  virtual void set_cross_signing_keys(const std::string& user_id, const std::map<std::string, std::string>& keys) = 0;
  // A signature on the signer's own keys is a device-list change seen by everyone; one on
  // another user's keys is a change of that user seen only by the signer.
  virtual void add_key_signatures(const std::vector<KeySignature>& signatures) = 0;
  // Signatures on the user's keys made by the user themselves or by `viewer`.
  virtual std::vector<KeySignature> key_signatures(const std::string& target_user, const std::string& viewer) = 0;
  // Users with a device-list change in (since, upto] that `observer` may see.
  virtual std::vector<std::string> device_list_changes(StreamPos since, StreamPos upto,
                                                       const std::string& observer) = 0;
  // The position of the user's latest device-list change everyone sees (0: none).
  virtual StreamPos latest_device_list_change(const std::string& user_id) = 0;
};

}  // namespace myelin::storage
