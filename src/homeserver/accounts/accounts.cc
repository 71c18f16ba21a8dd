#include "homeserver/accounts/accounts.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/ids.h"

namespace myelin::homeserver {

using core::Errc;

std::string truncate_ip(std::string_view ip) {
  std::string text(ip);
  if (text.starts_with("::ffff:")) text = text.substr(7);
  unsigned char bytes[16] = {};
  char out[INET6_ADDRSTRLEN] = {};
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) {
    bytes[3] = 0;
    inet_ntop(AF_INET, bytes, out, sizeof out);
    return out;
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
    for (int i = 6; i < 16; ++i) bytes[i] = 0;
    inet_ntop(AF_INET6, bytes, out, sizeof out);
    return out;
  }
  return "";
}

std::string Accounts::user_id_for(std::string_view localpart) const {
  return "@" + std::string(localpart) + ":" + config_.server_name;
}

core::Result<Session> Accounts::session_of(const std::string& digest) {
  if (auto it = sessions_.find(digest); it != sessions_.end()) return it->second;
  auto owner = store_.token_owner(digest);
  if (!owner) return core::fail(Errc::kUnknownToken, "Invalid access token");
  auto user = store_.user(owner->user_id);
  if (!user || user->deactivated) return core::fail(Errc::kUnknownToken, "Invalid access token");
  // The owner was a user ID when it was stored; one that is not is the store's fault.
  auto user_id = core::UserId::parse(owner->user_id);
  if (!user_id) return core::fail(Errc::kInternal, "Invalid stored user ID");
  if (sessions_.size() >= kMaxSessions) sessions_.clear();
  return sessions_.emplace(digest, Session{std::move(*user_id), owner->device_id, user->admin, user->guest})
      .first->second;
}

core::Result<Session> Accounts::authenticate(std::string_view access_token, std::string_view ip) {
  auto session = session_of(core::token_digest(access_token));
  if (!session) return session;
  const std::string truncated = truncate_ip(ip);
  const std::int64_t now = core::now_ms();
  std::string key = session->user_id.str() + '|' + session->device_id;
  if (last_ip_write_.size() >= kMaxIpWrites && !last_ip_write_.contains(key)) last_ip_write_.clear();
  auto& last = last_ip_write_[std::move(key)];
  if (now - last.first > 60'000 || last.second != truncated) {
    last = {now, truncated};
    store_.record_client_ip(session->user_id.str(), session->device_id, truncated, now);
    store_.upsert_device({session->user_id.str(), session->device_id, "", now, truncated});
  }
  return session;
}

core::Status Accounts::check_username(std::string_view localpart) {
  if (!core::is_valid_localpart_strict(localpart) || user_id_for(localpart).size() > 255)
    return core::fail(Errc::kInvalidUsername, "User ID may only contain a-z, 0-9, . _ = - / +");
  if (store_.user(user_id_for(localpart))) return core::fail(Errc::kUserInUse, "User ID already taken");
  return {};
}

core::Result<std::string> Accounts::register_user(std::string_view localpart, std::string password_hash, bool admin) {
  if (auto ok = check_username(localpart); !ok) return std::unexpected(ok.error());
  storage::UserRecord user;
  user.user_id = user_id_for(localpart);
  user.password_hash = std::move(password_hash);
  user.admin = admin;
  user.created_ts = core::now_ms();
  user.displayname = std::string(localpart);
  if (!store_.create_user(user)) return core::fail(Errc::kUserInUse, "User ID already taken");
  return user.user_id;
}

std::string Accounts::register_guest() {
  for (;;) {
    std::string localpart = "guest-" + core::random_string(12);
    for (auto& c : localpart) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    storage::UserRecord user;
    user.user_id = user_id_for(localpart);
    user.created_ts = core::now_ms();
    user.guest = true;
    user.displayname = localpart;  // as for every new account
    if (core::is_valid_localpart_strict(localpart) && store_.create_user(user)) return user.user_id;
  }
}

core::Result<std::string> Accounts::guest_of(std::string_view access_token) {
  auto session = session_of(core::token_digest(access_token));
  if (!session) return std::unexpected(session.error());
  if (!session->guest) return core::fail(Errc::kForbidden, "This access token is not a guest's");
  return session->user_id.str();
}

core::Result<std::string> Accounts::upgrade_guest(const std::string& user_id, std::string password_hash) {
  if (!store_.upgrade_guest(user_id, password_hash))
    return core::fail(Errc::kUserInUse, "This guest account was upgraded already");
  sessions_.clear();  // they said guest
  return user_id;
}

namespace {

// `name` cut to kMaxDeviceNameBytes, not inside a UTF-8 character.
std::string bounded_device_name(std::string_view name) {
  if (name.size() <= kMaxDeviceNameBytes) return std::string(name);
  std::size_t end = kMaxDeviceNameBytes;
  while (end > 0 && (static_cast<unsigned char>(name[end]) & 0xC0) == 0x80) --end;
  return std::string(name.substr(0, end));
}

}  // namespace

LoginResult Accounts::create_session(const std::string& user_id, std::optional<std::string> device_id,
                                     const std::string& device_display_name) {
  if (!device_id || device_id->empty()) device_id = core::random_string(10);
  const bool new_device = !store_.device(user_id, *device_id);
  // Reusing a device keeps its keys and to-device inbox; only its old tokens stop working.
  if (new_device) make_room_for_device(user_id);
  else {
    store_.revoke_device_tokens(user_id, *device_id);
    sessions_.clear();
  }
  store_.upsert_device({user_id, *device_id, bounded_device_name(device_display_name), core::now_ms(), ""});
  std::string token = core::new_access_token();
  store_.add_access_token(core::token_digest(token), {user_id, *device_id});
  if (new_device) {  // a new device is a device-list change, before it has keys
    store_.mark_device_list_changed(user_id);
    devices_changed_(user_id);
  }
  return {user_id, std::move(token), *device_id};
}

void Accounts::make_room_for_device(const std::string& user_id) {
  std::vector<storage::DeviceRecord> devices = store_.devices(user_id);
  std::ranges::sort(devices, {}, &storage::DeviceRecord::last_seen_ts);
  const auto excess = static_cast<std::int64_t>(devices.size()) + 1 - config_.devices_per_user;
  for (std::int64_t i = 0; i < excess && i < static_cast<std::int64_t>(devices.size()); ++i)
    delete_device(user_id, devices[static_cast<std::size_t>(i)].device_id);
}

namespace {

const std::string& dummy_hash() {
  static const std::string hash = core::hash_password("myelin: no such user");
  return hash;
}

}  // namespace

core::Result<LoginTarget> Accounts::login_target(const json::object& request) {
  std::string user;
  if (auto identifier = request.if_contains("identifier")) {
    if (!identifier->is_object()) return core::fail(Errc::kBadJson, "identifier must be an object");
    const auto& id = identifier->get_object();
    auto type = id.if_contains("type");
    if (!type || !type->is_string()) return core::fail(Errc::kBadJson, "identifier.type missing");
    if (type->get_string() != "m.id.user")
      return core::fail(Errc::kForbidden, "Only m.id.user identifiers are supported");
    auto value = id.if_contains("user");
    if (!value || !value->is_string()) return core::fail(Errc::kBadJson, "identifier.user must be a string");
    user = value->get_string();
  } else if (auto legacy = request.if_contains("user")) {
    if (!legacy->is_string()) return core::fail(Errc::kBadJson, "user must be a string");
    user = legacy->get_string();
  } else {
    return core::fail(Errc::kBadJson, "identifier missing");
  }
  // Localparts are case-insensitive at login, as Synapse treats them.
  std::string user_id = user.starts_with("@") ? user : user_id_for(user);
  if (!user.starts_with("@"))
    for (auto& c : user_id) c = static_cast<char>(std::tolower(c));
  return target_for(user_id);
}

core::Status Accounts::login_verdict(const LoginTarget& target, bool password_matches) {
  if (!target.exists || !password_matches) return core::fail(Errc::kForbidden, "Invalid username or password");
  return {};
}

LoginTarget Accounts::target_for(const std::string& user_id) {
  auto record = store_.user(user_id);
  const bool has_password = record && !record->deactivated && !record->password_hash.empty();
  return LoginTarget{user_id, has_password ? record->password_hash : dummy_hash(), has_password};
}

std::string Accounts::issue_nonce() {
  const std::int64_t now = core::now_ms();
  std::erase_if(nonces_, [now](const auto& entry) { return entry.second < now; });
  if (nonces_.size() >= 10'000) return "";
  std::string nonce = core::random_string(32);
  nonces_[nonce] = now + 60'000;
  return nonce;
}

bool Accounts::consume_nonce(const std::string& nonce) {
  auto it = nonces_.find(nonce);
  if (it == nonces_.end()) return false;
  const bool valid = it->second >= core::now_ms();
  nonces_.erase(it);
  return valid;
}

void Accounts::logout(const Session& session) { delete_device(session.user_id, session.device_id); }

void Accounts::logout_all(const std::string& user_id) {
  for (const auto& device : store_.devices(user_id)) delete_device(user_id, device.device_id);
}

void Accounts::delete_device(const std::string& user_id, const std::string& device_id) {
  store_.delete_device(user_id, device_id);
  sessions_.clear();
  last_ip_write_.erase(user_id + '|' + device_id);
  devices_changed_(user_id);
}

std::vector<storage::DeviceRecord> Accounts::devices(const std::string& user_id) { return store_.devices(user_id); }

std::optional<storage::DeviceRecord> Accounts::device(const std::string& user_id, const std::string& device_id) {
  return store_.device(user_id, device_id);
}

core::Status Accounts::update_device(const std::string& user_id, const std::string& device_id,
                                     const std::optional<std::string>& display_name) {
  if (display_name && display_name->size() > kMaxDeviceNameBytes)
    return core::fail(Errc::kInvalidParam, "display_name is too long");
  if (!store_.device(user_id, device_id)) return core::fail(Errc::kNotFound, "Unknown device");
  if (!display_name) return {};
  store_.rename_device(user_id, device_id, *display_name);
  store_.mark_device_list_changed(user_id);
  devices_changed_(user_id);
  return {};
}

void Accounts::change_password(const std::string& user_id, const std::string& password_hash, bool logout_devices,
                               const std::string& keep_device) {
  store_.set_password_hash(user_id, password_hash);
  if (!logout_devices) return;
  for (const auto& device : store_.devices(user_id))
    if (device.device_id != keep_device) delete_device(user_id, device.device_id);
}

void Accounts::deactivate(const core::UserId& user_id) {
  leave_rooms_(user_id);
  logout_all(user_id);
  store_.set_deactivated(user_id);
  sessions_.clear();
}

void Accounts::expire_client_ips() {
  store_.purge_client_ips(core::now_ms() - std::int64_t{config_.client_ip_retention_days} * 86'400'000);
}

json::object session_json(const LoginResult& login, const std::string& server_name) {
  return json::object{{"user_id", login.user_id},
                      {"access_token", login.access_token},
                      {"device_id", login.device_id},
                      {"home_server", server_name}};
}

}  // namespace myelin::homeserver
