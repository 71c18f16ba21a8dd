#pragma once
// Account data (client-server-api "Client Config") and room tags ("Room Tagging"): entries
// per user, global or per room, that only their user reads and writes. Bounded by AccountsOptions
// (limits.account_data_*): 413 M_TOO_LARGE for a value over account_data_value_bytes, 403
// M_FORBIDDEN for a new entry beyond account_data_entries, whatever its content. Emptied
// entries ({}) keep their row, so that the user's other devices learn of the emptying, and
// count; writing an existing entry (emptied or not) again is always allowed.
// Here rather than in its own domain: it is the user's own data beside their devices and
// needs nothing but the store; the syncs to wake are told through `Changed`.
#include <functional>
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/accounts/options.h"
#include "storage/user_data_store.h"

namespace myelin::homeserver {

inline constexpr std::size_t kMaxTagBytes = 255;

class AccountData {
 public:
  // Told the user whose account data changed (Notifier::notify_user).
  using Changed = std::function<void(const std::string& user_id)>;
  AccountData(const AccountsOptions& config, storage::UserDataStore& store, Changed changed)
      : config_(config), store_(store), changed_(std::move(changed)) {}

  // Whether clients may set `type`: the server manages m.fully_read and m.push_rules, which
  // clients may read but not set (405 M_BAD_JSON); an empty type is M_INVALID_PARAM. Checked
  // before the request's body is read.
  static core::Status settable(const std::string& type);
  // A client-set entry (room_id "" for global), of a settable type. A global
  // m.ignored_user_list must have the spec's shape (M_BAD_JSON otherwise).
  core::Status set(const std::string& user_id, const std::string& room_id, const std::string& type,
                   const json::object& content);
  // M_NOT_FOUND when the entry was never set.
  core::Result<json::value> get(const std::string& user_id, const std::string& room_id, const std::string& type);

  // The room's m.tag content's "tags" object (empty when none is stored).
  json::object tags(const std::string& user_id, const std::string& room_id);
  // `content` is the tag's ({"order": number} or {}).
  core::Status set_tag(const std::string& user_id, const std::string& room_id, const std::string& tag,
                       json::object content);
  core::Status delete_tag(const std::string& user_id, const std::string& room_id, const std::string& tag);
  // Room upgrades (client-server-api "Room Upgrades": a user's settings follow them to the new
  // room): the user's tags of `from` given to `to`, when they have some there and none on `to`
  // yet, within the bounds on account data (nothing is copied beyond them).
  void copy_room_tags(const std::string& user_id, const std::string& from, const std::string& to);

 private:
  // Stores an entry within the bounds and wakes the user's syncs.
  core::Status store(const std::string& user_id, const std::string& room_id, const std::string& type,
                     const json::object& content);

  const AccountsOptions& config_;
  storage::UserDataStore& store_;
  Changed changed_;
};

}  // namespace myelin::homeserver
