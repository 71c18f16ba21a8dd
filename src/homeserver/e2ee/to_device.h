#pragma once
// Send-to-device messaging (client-server-api "Send-to-Device messaging"): messages wait in a
// per-device inbox in the store until the device's sync acknowledges them by syncing from a
// token past them; only then are they deleted. "*" addresses every device of a user.
//
// Bounds (E2eeOptions): an inbox holds at most to_device_inbox_messages messages and
// to_device_inbox_bytes bytes of content; beyond them it loses its oldest messages. The sender
// is not told: a refusal would tell it whether someone else's device has been syncing, and
// would make one full inbox (a lost phone) fail every request that also addresses it, such as
// a room key shared with a whole room. A device unseen for to_device_idle_days gets no new
// messages and its inbox is emptied by expire_idle().
#include <functional>
#include <map>
#include <set>
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/accounts/accounts.h"
#include "homeserver/e2ee/options.h"
#include "homeserver/timeline/notifier.h"
#include "storage/account_store.h"
#include "storage/to_device_store.h"

namespace myelin::homeserver {

// Largest content of one to-device message (canonical JSON bytes), and the most messages and
// bytes one request may queue once "*" is expanded to every device.
inline constexpr std::size_t kMaxToDeviceBytes = 65536;
inline constexpr std::size_t kMaxToDeviceMessages = 10000;
inline constexpr std::size_t kMaxToDeviceRequestBytes = 8 << 20;

struct ToDeviceBatch {
  json::array events;
  storage::StreamPos delivered_up_to = 0;  // the token's to-device part for the next sync
};

class ToDevice {
 public:
  // Hands the messages for one other server's users to federation (an m.direct_to_device
  // EDU's content: {sender, type, message_id, messages}), wired in homeserver.h.
  using Remote = std::function<void(const std::string& server, json::object content)>;
  ToDevice(const E2eeOptions& config, storage::ToDeviceStore& store, storage::AccountStore& account_store,
           Notifier& notifier, Remote remote)
      : config_(config),
        store_(store),
        account_store_(account_store),
        notifier_(notifier),
        remote_(std::move(remote)) {}

  // PUT sendToDevice/{eventType}/{txnId} with {"messages": {user: {device or "*": content}}}.
  // Idempotent per transaction. M_BAD_JSON for a malformed body, M_TOO_LARGE for an oversized
  // message or request. Messages to other servers' users go to their servers, once per
  // transaction.
  core::Status send(const Session& sender, const std::string& type, const storage::Transaction& txn,
                    const json::object& body);
  // An m.direct_to_device EDU from `origin`: the messages of its user `sender` to this
  // server's users, queued like local ones, once per message_id. M_BAD_JSON for a malformed
  // one, M_FORBIDDEN for a sender of another server.
  core::Status receive(const std::string& origin, const json::object& content);

  // For /sync: forgets the messages up to `acknowledged` and returns those after it, up to
  // `upto`, at most kSyncBatch of them.
  ToDeviceBatch take(const Session& session, storage::StreamPos acknowledged, storage::StreamPos upto);
  static constexpr std::size_t kSyncBatch = 100;

  // Housekeeping: empties the inboxes of devices unseen for to_device_idle_days.
  void expire_idle();

 private:
  // Devices last seen before this are idle (INT64_MIN when idle devices never expire).
  std::int64_t idle_before() const;
  // A messages map {user: {device or "*": content}} checked and expanded: the messages for
  // this server's active devices, their users, and what goes to each other server.
  struct Expanded {
    std::vector<storage::ToDeviceMessage> queued;
    std::set<std::string> recipients;
    std::map<std::string, json::object> remote;  // server -> {user: {device: content}}
  };
  core::Status expand(const json::value* messages, const std::string& sender, const std::string& type, Expanded& out);

  const E2eeOptions& config_;
  storage::ToDeviceStore& store_;
  storage::AccountStore& account_store_;
  Notifier& notifier_;
  Remote remote_;
};

}  // namespace myelin::homeserver
