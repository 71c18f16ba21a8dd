#pragma once
// Accounts (storage/store.h has the contract): users and their profiles, devices, client IP
// addresses, access tokens (by digest) and registration tokens. Deleting a device is a
// device-list change of its user (KeyStore::device_list_changes reads them back); a rename is
// marked by its caller (mark_device_list_changed).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/common.h"

namespace myelin::storage {

struct UserRecord {
  std::string user_id;
  std::string password_hash;  // argon2id string, empty = no password login
  bool admin = false;
  bool deactivated = false;
  std::int64_t created_ts = 0;
  std::string displayname;  // empty = unset
  std::string avatar_url;   // empty = unset
  bool guest = false;       // a guest account (client-server-api "Guest Access")
};

struct DeviceRecord {
  std::string user_id;
  std::string device_id;
  std::string display_name;
  std::int64_t last_seen_ts = 0;
  std::string last_seen_ip;  // already truncated by the caller (privacy)
};

struct TokenOwner {
  std::string user_id;
  std::string device_id;
};

struct RegistrationToken {
  std::string token;
  std::optional<std::int64_t> uses_allowed;  // nullopt = unlimited
  std::int64_t pending = 0;
  std::int64_t completed = 0;
  std::optional<std::int64_t> expiry_time;  // ms since epoch
};

// A third-party identifier the user bound to their Matrix ID at an identity server through this
// server (client-server-api "Adding Account Administrative Contact Information": bind), kept so
// that it can be unbound later.
struct ThreepidBind {
  std::string medium;
  std::string address;
  std::string id_server;
};

class AccountStore {
 public:
  virtual ~AccountStore() = default;

  virtual bool create_user(const UserRecord& user) = 0;  // false if the ID is taken
  virtual std::optional<UserRecord> user(const std::string& user_id) = 0;
  virtual void set_password_hash(const std::string& user_id, const std::string& hash) = 0;
  // A guest no more, with a password; false when the user is no guest (any more).
  virtual bool upgrade_guest(const std::string& user_id, const std::string& hash) = 0;
  virtual void set_deactivated(const std::string& user_id) = 0;  // also erases profile
  virtual void set_displayname(const std::string& user_id, const std::string& name) = 0;
  virtual void set_avatar_url(const std::string& user_id, const std::string& url) = 0;

  virtual void upsert_device(const DeviceRecord& device) = 0;  // keeps the name if empty
  virtual std::optional<DeviceRecord> device(const std::string& user_id, const std::string& device_id) = 0;
  virtual std::vector<DeviceRecord> devices(const std::string& user_id) = 0;
  virtual void rename_device(const std::string& user_id, const std::string& device_id, const std::string& name) = 0;
  // Deletes the device with its access tokens, transaction IDs, keys and to-device inbox (a
  // device-list change of the user).
  virtual void delete_device(const std::string& user_id, const std::string& device_id) = 0;
  // A device-list change of the user without a key write (a renamed device).
  virtual void mark_device_list_changed(const std::string& user_id) = 0;
  virtual void record_client_ip(const std::string& user_id, const std::string& device_id,
                                const std::string& truncated_ip, std::int64_t ts) = 0;
  virtual void purge_client_ips(std::int64_t older_than_ts) = 0;

  virtual void add_access_token(const std::string& digest, const TokenOwner& owner) = 0;
  virtual std::optional<TokenOwner> token_owner(const std::string& digest) = 0;
  // Invalidates every access token of the device (a login that reuses its device ID).
  virtual void revoke_device_tokens(const std::string& user_id, const std::string& device_id) = 0;

  virtual void add_registration_token(const RegistrationToken& token) = 0;
  virtual std::vector<RegistrationToken> registration_tokens() = 0;
  virtual std::optional<RegistrationToken> registration_token(const std::string& token) = 0;
  virtual bool delete_registration_token(const std::string& token) = 0;
  // Atomically checks validity (exists, not expired at now_ms, completed < uses_allowed) and
  // counts one completed use. False when not valid.
  virtual bool use_registration_token(const std::string& token, std::int64_t now_ms) = 0;

  // The user's binds, oldest first; adding one that exists changes nothing.
  virtual std::vector<ThreepidBind> threepid_binds(const std::string& user_id) = 0;
  virtual void add_threepid_bind(const std::string& user_id, const ThreepidBind& bind) = 0;
  virtual void remove_threepid_bind(const std::string& user_id, const ThreepidBind& bind) = 0;
};

}  // namespace myelin::storage
