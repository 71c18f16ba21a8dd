#include "homeserver/e2ee/key_backup.h"

#include <charconv>
#include <map>

namespace myelin::homeserver {
namespace {

using core::Errc;

std::optional<std::int64_t> parse_version(std::string_view text) {
  std::int64_t version = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (ec != std::errc() || end != text.data() + text.size() || version <= 0) return std::nullopt;
  return version;
}

// The encrypted key data of one room key (about 1000 bytes in practice).
constexpr std::size_t kMaxSessionDataBytes = 8192;
// A version's auth_data (a public key and its signatures: a few hundred bytes in practice).
constexpr std::size_t kMaxAuthDataBytes = 65536;
// Versions one user keeps; a new one beyond deletes the oldest. Keys go only to the latest,
// so older versions matter only to a client restoring from one it still names.
constexpr std::int64_t kMaxVersions = 10;

core::Error no_backup() { return core::make_error(Errc::kNotFound, "No such backup version"); }

// A KeyBackupData object; M_BAD_JSON when a field has the wrong type.
core::Result<storage::BackupKey> parse_key(const json::value& value, std::string room_id, std::string session_id) {
  if (!value.is_object()) return core::fail(Errc::kBadJson, "A backed-up key must be an object");
  const json::object& object = value.get_object();
  auto first = object.if_contains("first_message_index");
  auto forwarded = object.if_contains("forwarded_count");
  auto verified = object.if_contains("is_verified");
  auto data = object.if_contains("session_data");
  if (!first || !first->is_int64() || first->as_int64() < 0 || !forwarded || !forwarded->is_int64() ||
      forwarded->as_int64() < 0 || !verified || !verified->is_bool() || !data || !data->is_object())
    return core::fail(Errc::kBadJson,
                      "A backed-up key needs first_message_index, forwarded_count, is_verified and session_data");
  std::string session_data = core::canonical_json(*data);
  if (session_data.size() > kMaxSessionDataBytes)
    return core::fail(Errc::kTooLarge, "session_data is at most " + std::to_string(kMaxSessionDataBytes) + " bytes");
  return storage::BackupKey{std::move(room_id),    std::move(session_id), first->as_int64(),
                            forwarded->as_int64(), verified->as_bool(),   std::move(session_data)};
}

// The spec's rule for a session that already has a key in the backup.
bool better(const storage::BackupKey& incoming, const storage::BackupKey& existing) {
  if (incoming.is_verified != existing.is_verified) return incoming.is_verified;
  if (incoming.first_message_index != existing.first_message_index)
    return incoming.first_message_index < existing.first_message_index;
  return incoming.forwarded_count < existing.forwarded_count;
}

json::object key_json(const storage::BackupKey& key) {
  auto data = core::parse_json_object(key.session_data);
  return json::object{{"first_message_index", key.first_message_index},
                      {"forwarded_count", key.forwarded_count},
                      {"is_verified", key.is_verified},
                      {"session_data", data ? std::move(*data) : json::object{}}};
}

core::Result<std::pair<std::string, std::string>> algorithm_and_auth_data(const json::object& body) {
  auto algorithm = body.if_contains("algorithm");
  auto auth_data = body.if_contains("auth_data");
  if (!algorithm || !auth_data) return core::fail(Errc::kMissingParam, "algorithm and auth_data are required");
  if (!algorithm->is_string() || !auth_data->is_object())
    return core::fail(Errc::kBadJson, "algorithm must be a string and auth_data an object");
  std::string text = core::canonical_json(*auth_data);
  if (text.size() > kMaxAuthDataBytes)
    return core::fail(Errc::kTooLarge, "auth_data is at most " + std::to_string(kMaxAuthDataBytes) + " bytes");
  return std::pair{std::string(algorithm->get_string()), std::move(text)};
}

}  // namespace

core::Result<storage::BackupVersion> KeyBackup::find(const std::string& user_id, const std::string& version) {
  std::optional<std::int64_t> number;
  if (!version.empty()) {
    number = parse_version(version);
    if (!number) return std::unexpected(no_backup());
  }
  auto found = store_.backup_version(user_id, number);
  if (!found) return std::unexpected(no_backup());
  return *found;
}

json::object KeyBackup::keys_summary(const std::string& user_id, std::int64_t version) {
  auto found = store_.backup_version(user_id, version);
  return json::object{{"etag", std::to_string(found ? found->etag : 0)},
                      {"count", store_.backup_key_count(user_id, version)}};
}

core::Result<json::object> KeyBackup::create_version(const std::string& user_id, const json::object& body) {
  auto fields = algorithm_and_auth_data(body);
  if (!fields) return std::unexpected(fields.error());
  const std::int64_t version = store_.create_backup_version(user_id, fields->first, fields->second, kMaxVersions);
  return json::object{{"version", std::to_string(version)}};
}

core::Result<json::object> KeyBackup::version(const std::string& user_id, const std::string& version) {
  auto found = find(user_id, version);
  if (!found) return std::unexpected(found.error());
  auto auth_data = core::parse_json_object(found->auth_data);
  return json::object{{"algorithm", found->algorithm},
                      {"auth_data", auth_data ? std::move(*auth_data) : json::object{}},
                      {"count", store_.backup_key_count(user_id, found->version)},
                      {"etag", std::to_string(found->etag)},
                      {"version", std::to_string(found->version)}};
}

core::Status KeyBackup::update_version(const std::string& user_id, const std::string& version,
                                       const json::object& body) {
  auto found = find(user_id, version);
  if (!found) return std::unexpected(found.error());
  auto fields = algorithm_and_auth_data(body);
  if (!fields) return std::unexpected(fields.error());
  if (auto named = body.if_contains("version");
      named && (!named->is_string() || named->get_string() != std::to_string(found->version)))
    return core::fail(Errc::kInvalidParam, "version in the body does not match the path");
  if (fields->first != found->algorithm) return core::fail(Errc::kInvalidParam, "The algorithm cannot change");
  store_.update_backup_version(user_id, found->version, fields->second);
  return {};
}

core::Status KeyBackup::delete_version(const std::string& user_id, const std::string& version) {
  auto found = find(user_id, version);
  if (!found) return std::unexpected(found.error());
  store_.delete_backup_version(user_id, found->version);
  return {};
}

core::Result<json::object> KeyBackup::put_keys(const std::string& user_id, const std::string& version,
                                               const std::optional<std::string>& room_id,
                                               const std::optional<std::string>& session_id, const json::object& body) {
  // Keys go only to the latest version; naming any other (even a deleted one) is refused with
  // the current version, so that the client re-checks its backup.
  auto latest = store_.backup_version(user_id, std::nullopt);
  if (!latest) return std::unexpected(no_backup());
  if (std::to_string(latest->version) != version) {
    core::Error error = core::make_error(Errc::kWrongRoomKeysVersion, "Keys go to the latest backup version");
    error.extra["current_version"] = std::to_string(latest->version);
    return std::unexpected(std::move(error));
  }
  const storage::BackupVersion* found = &*latest;
  // Normalise the three body shapes to room -> session -> key.
  std::map<std::string, std::map<std::string, storage::BackupKey>> incoming;
  auto add_sessions = [&](const std::string& room, const json::value& sessions) -> core::Status {
    if (!sessions.is_object()) return core::fail(Errc::kBadJson, "sessions must be an object");
    for (const auto& [session, value] : sessions.get_object()) {
      auto key = parse_key(value, room, std::string(session));
      if (!key) return std::unexpected(key.error());
      incoming[room].insert_or_assign(std::string(session), std::move(*key));
    }
    return {};
  };
  if (session_id) {
    auto key = parse_key(body, *room_id, *session_id);
    if (!key) return std::unexpected(key.error());
    incoming[*room_id].emplace(*session_id, std::move(*key));
  } else if (room_id) {
    auto sessions = body.if_contains("sessions");
    if (!sessions) return core::fail(Errc::kMissingParam, "Missing sessions");
    if (auto ok = add_sessions(*room_id, *sessions); !ok) return std::unexpected(ok.error());
  } else {
    auto rooms = body.if_contains("rooms");
    if (!rooms) return core::fail(Errc::kMissingParam, "Missing rooms");
    if (!rooms->is_object()) return core::fail(Errc::kBadJson, "rooms must be an object");
    for (const auto& [room, value] : rooms->get_object()) {
      auto sessions = value.is_object() ? value.get_object().if_contains("sessions") : nullptr;
      if (!sessions) return core::fail(Errc::kBadJson, "Each room needs sessions");
      if (auto ok = add_sessions(std::string(room), *sessions); !ok) return std::unexpected(ok.error());
    }
  }
  std::vector<storage::BackupKey> changed;
  std::int64_t added = 0;
  for (auto& [room, sessions] : incoming) {
    for (auto& [session, key] : sessions) {
      auto old = store_.backup_keys(user_id, found->version, room, session);
      added += old.empty();
      if (old.empty() || better(key, old.front())) changed.push_back(std::move(key));
    }
  }
  if (added > 0) {
    if (auto ok = core::within_limit(store_.user_backup_key_count(user_id) + added, config_.backup_keys_per_user,
                                     "backed-up room keys");
        !ok)
      return std::unexpected(ok.error());
  }
  store_.put_backup_keys(user_id, found->version, changed);
  return keys_summary(user_id, found->version);
}

core::Result<json::object> KeyBackup::get_keys(const std::string& user_id, const std::string& version,
                                               const std::optional<std::string>& room_id,
                                               const std::optional<std::string>& session_id) {
  auto found = find(user_id, version);
  if (!found) return std::unexpected(found.error());
  auto keys = store_.backup_keys(user_id, found->version, room_id, session_id);
  if (session_id) {
    if (keys.empty()) return core::fail(Errc::kNotFound, "No key for this session");
    return key_json(keys.front());
  }
  json::object sessions_by_room;
  for (const auto& key : keys)
    core::child(core::child(sessions_by_room, key.room_id), "sessions")[key.session_id] = key_json(key);
  if (room_id) {
    auto room = sessions_by_room.if_contains(*room_id);
    return room ? room->get_object() : json::object{{"sessions", json::object{}}};
  }
  return json::object{{"rooms", std::move(sessions_by_room)}};
}

core::Result<json::object> KeyBackup::delete_keys(const std::string& user_id, const std::string& version,
                                                  const std::optional<std::string>& room_id,
                                                  const std::optional<std::string>& session_id) {
  auto found = find(user_id, version);
  if (!found) return std::unexpected(found.error());
  store_.delete_backup_keys(user_id, found->version, room_id, session_id);
  return keys_summary(user_id, found->version);
}

}  // namespace myelin::homeserver
