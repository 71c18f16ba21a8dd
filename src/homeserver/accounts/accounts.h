#pragma once
// Accounts, devices and access tokens (client-server-api "Account registration and
// management", "Login", "Device management"). Tokens are stored only as SHA-256 digests;
// passwords only as argon2id hashes. Client IP addresses are truncated (/24, /48) before they
// are stored, and written at most once a minute per device.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/ids.h"
#include "core/json.h"
#include "homeserver/accounts/options.h"
#include "storage/account_store.h"

namespace myelin::homeserver {

// Made by Accounts::authenticate, its user ID parsed from the token's stored owner.
struct Session {
  core::UserId user_id;
  std::string device_id;
  bool admin = false;
  bool guest = false;  // may call only the routes the Guest Access module lists
};

// The account a password login names, with the hash to check the password against. Unknown
// users get a dummy hash so that the answer takes as long either way (no enumeration by timing).
// Deactivation erases the password hash, so a deactivated account is checked against the dummy
// hash too and answers exactly like an unknown user: no one can prove its password any more,
// and only proving it could entitle a caller to learn of the deactivation (M_USER_DEACTIVATED).
struct LoginTarget {
  std::string user_id;
  std::string password_hash;
  bool exists = false;  // a user with a password (never a deactivated one)
};

struct LoginResult {
  std::string user_id;
  std::string access_token;
  std::string device_id;
};
// The answer to a login or registration: {user_id, access_token, device_id, home_server}.
json::object session_json(const LoginResult& login, const std::string& server_name);

class Accounts {
 public:
  // `devices_changed` is told the user whose devices changed (DeviceLists::announce);
  // `leave_rooms` makes a user being deactivated leave every room they are in, were invited
  // to or knocked on (RoomService::leave_all).
  using UserHook = std::function<void(const std::string& user_id)>;
  using LeaveRooms = std::function<void(const core::UserId& user_id)>;
  Accounts(const AccountsOptions& config, storage::AccountStore& store, UserHook devices_changed,
           LeaveRooms leave_rooms)
      : config_(config),
        store_(store),
        devices_changed_(std::move(devices_changed)),
        leave_rooms_(std::move(leave_rooms)) {}

  // M_UNKNOWN_TOKEN for an unknown token or a deactivated user. The sessions of tokens used
  // recently are kept, so a request reads the store only for a token not seen lately: whatever
  // ends a token or changes what its Session holds (a device deleted, a device logged in again,
  // deactivation, a guest upgraded) goes through this class and forgets them all. A tool that
  // did so in the store behind the running server's back would leave tokens working.
  core::Result<Session> authenticate(std::string_view access_token, std::string_view ip);
  // The devices whose last address written is remembered (a write at most once a minute per
  // device and address); beyond, all are forgotten, which costs each one more write.
  static constexpr std::size_t kMaxIpWrites = 20'000;
  // Sessions kept by token digest; beyond, all are forgotten and read again.
  static constexpr std::size_t kMaxSessions = 20'000;

  // M_INVALID_USERNAME for a bad localpart, M_USER_IN_USE when taken.
  core::Status check_username(std::string_view localpart);
  // `password_hash` from core::hash_password (callers on the event loop compute it with
  // Scheduler::run_blocking), or empty for an account without password login.
  core::Result<std::string> register_user(std::string_view localpart, std::string password_hash, bool admin);
  // A guest account under a fresh random ID, without password.
  std::string register_guest();
  // The guest whose access token this is (client-server-api "Guest Access": a guest upgrades
  // by registering with it); M_UNKNOWN_TOKEN for no valid token, M_FORBIDDEN for a non-guest.
  core::Result<std::string> guest_of(std::string_view access_token);
  // The guest account becomes a full one with this password (`password_hash` as for
  // register_user); its ID, devices and rooms stay. Returns the user ID; M_USER_IN_USE when it
  // was upgraded meanwhile (two upgrades at once: the first wins).
  core::Result<std::string> upgrade_guest(const std::string& user_id, std::string password_hash);
  // A new device (or the named one, reused with its keys and inbox, its old access tokens
  // revoked) with a fresh access token; a new device is a device-list change. A new device
  // beyond AccountsOptions::devices_per_user logs out the user's device seen least recently (refusing
  // the login would lock the user out; the one dropped is usually a script's forgotten login).
  // The display name is cut to kMaxDeviceNameBytes (at a character boundary).
  LoginResult create_session(const std::string& user_id, std::optional<std::string> device_id,
                             const std::string& device_display_name);
  // POST /login with m.login.password: resolves the identifier (m.id.user, legacy "user").
  // M_BAD_JSON for a malformed one, M_FORBIDDEN for kinds myelin has no accounts for.
  core::Result<LoginTarget> login_target(const json::object& request);
  // The verdict once the password was checked against target.password_hash: M_FORBIDDEN on any
  // mismatch, unknown or deactivated user, with the same message (no user enumeration).
  static core::Status login_verdict(const LoginTarget& target, bool password_matches);
  // The login target for a known user ID (user-interactive auth of the logged-in user).
  LoginTarget target_for(const std::string& user_id);

  // GET /devices and /devices/{deviceId}: the user's own devices.
  std::vector<storage::DeviceRecord> devices(const std::string& user_id);
  std::optional<storage::DeviceRecord> device(const std::string& user_id, const std::string& device_id);

  // Device changes are device-list changes: the user's peers are told (their keys are gone, or
  // the name they may see changed).
  // PUT /devices/{deviceId}: renames the device when `display_name` is given (at most
  // kMaxDeviceNameBytes: M_INVALID_PARAM); M_NOT_FOUND for an unknown device (creating
  // devices is for application services only).
  core::Status update_device(const std::string& user_id, const std::string& device_id,
                             const std::optional<std::string>& display_name);
  // Deletes the client IP records older than client_ip_retention_days (hourly).
  void expire_client_ips();
  void logout(const Session& session);
  void logout_all(const std::string& user_id);
  void delete_device(const std::string& user_id, const std::string& device_id);
  // `password_hash` from core::hash_password (computed off the event loop by the caller).
  void change_password(const std::string& user_id, const std::string& password_hash, bool logout_devices,
                       const std::string& keep_device);
  // POST /account/deactivate: the user leaves their rooms (`leave_rooms`), every device is
  // logged out, and the account can no longer log in.
  void deactivate(const core::UserId& user_id);

  // Shared-secret registration (Synapse's /_synapse/admin/v1/register): single-use nonces
  // valid for a minute. issue_nonce() is empty when too many are outstanding.
  std::string issue_nonce();
  bool consume_nonce(const std::string& nonce);

  std::string user_id_for(std::string_view localpart) const;

 private:
  // Deletes the user's least recently seen devices until a new one fits devices_per_user.
  void make_room_for_device(const std::string& user_id);
  // The session of the token whose digest is `digest`, from sessions_ or the store.
  core::Result<Session> session_of(const std::string& digest);

  const AccountsOptions& config_;
  storage::AccountStore& store_;
  UserHook devices_changed_;
  LeaveRooms leave_rooms_;
  // user '|' device -> when and which address was last written (a write at most once a minute
  // per device and address). Bounded: forgotten at kMaxIpWrites.
  std::unordered_map<std::string, std::pair<std::int64_t, std::string>> last_ip_write_;
  std::unordered_map<std::string, std::int64_t> nonces_;  // nonce -> expiry (ms)
  std::unordered_map<std::string, Session> sessions_;     // token digest -> its session
};

// 192.0.2.77 -> 192.0.2.0; 2001:db8:1:2::5 -> 2001:db8:1::  (privacy: no full addresses kept)
std::string truncate_ip(std::string_view ip);

// The longest device display name (they are kept per device and shown to every peer in
// keys/query): a rename beyond it is refused, a login's initial name is cut to it.
inline constexpr std::size_t kMaxDeviceNameBytes = 256;
// The longest password accepted by registration and password changes (M_BAD_JSON beyond).
inline constexpr std::size_t kMaxPasswordBytes = 512;

}  // namespace myelin::homeserver
