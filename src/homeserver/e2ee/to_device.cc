#include "homeserver/e2ee/to_device.h"

#include <limits>
#include <set>

#include "core/base64.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/ids.h"

namespace myelin::homeserver {

using core::Errc;

std::int64_t ToDevice::idle_before() const {
  if (config_.to_device_idle_days <= 0) return std::numeric_limits<std::int64_t>::min();
  return core::now_ms() - std::int64_t{config_.to_device_idle_days} * 86'400'000;
}

void ToDevice::expire_idle() {
  if (config_.to_device_idle_days > 0) store_.expire_idle_inboxes(idle_before());
}

core::Status ToDevice::expand(const json::value* messages, const std::string& sender, const std::string& type,
                              Expanded& out) {
  if (!messages) return core::fail(Errc::kMissingParam, "Missing messages");
  if (!messages->is_object()) return core::fail(Errc::kBadJson, "messages must be an object");
  std::size_t queued_bytes = 0;
  const std::int64_t idle = idle_before();
  for (const auto& [user_key, devices] : messages->get_object()) {
    const std::string user(user_key);
    auto parsed = core::UserId::parse(user);
    if (!parsed) return core::fail(Errc::kInvalidParam, "Invalid user ID " + user);
    if (!devices.is_object()) return core::fail(Errc::kBadJson, "messages must map users to devices");
    const bool local = parsed->server() == config_.server_name;
    for (const auto& [device, content] : devices.get_object()) {
      if (!content.is_object()) return core::fail(Errc::kBadJson, "A to-device message content must be an object");
      std::string text = core::canonical_json(content);
      if (text.size() > kMaxToDeviceBytes) return core::fail(Errc::kTooLarge, "A to-device message is too large");
      queued_bytes += text.size();
      if (queued_bytes > kMaxToDeviceRequestBytes) return core::fail(Errc::kTooLarge, "Too many to-device messages");
      if (!local) {
        core::child(out.remote[std::string(parsed->server())], user)[device] = content;
        continue;
      }
      std::vector<std::string> device_ids;
      if (device == "*") {
        for (const auto& record : account_store_.devices(user))
          if (record.last_seen_ts >= idle) device_ids.push_back(record.device_id);
      } else if (auto record = account_store_.device(user, std::string(device));
                 record && record->last_seen_ts >= idle) {
        device_ids.emplace_back(device);
      }
      for (auto& device_id : device_ids) {
        out.queued.push_back({user, std::move(device_id), sender, type, text, 0});
        if (out.queued.size() > kMaxToDeviceMessages) return core::fail(Errc::kTooLarge, "Too many to-device messages");
      }
      if (!device_ids.empty()) out.recipients.insert(user);
    }
  }
  return {};
}

core::Status ToDevice::send(const Session& sender, const std::string& type, const storage::Transaction& txn,
                            const json::object& body) {
  Expanded expanded;
  if (auto ok = expand(body.if_contains("messages"), sender.user_id, type, expanded); !ok) return ok;
  const storage::InboxLimits limits{config_.to_device_inbox_messages, config_.to_device_inbox_bytes};
  if (!store_.add_to_device(expanded.queued, txn, limits)) return {};  // a retransmission
  for (const auto& user : expanded.recipients) notifier_.notify_user(user);
  if (expanded.remote.empty()) return {};
  // The message ID is the transaction's, so the other server can tell a retransmission too.
  const std::string message_id =
      core::base64url_encode(core::sha256(txn.user_id + "\n" + txn.device_id + "\n" + txn.txn_id)).substr(0, 22);
  for (auto& [server, users] : expanded.remote)
    remote_(server, json::object{{"sender", sender.user_id.str()},
                                 {"type", type},
                                 {"message_id", message_id},
                                 {"messages", std::move(users)}});
  return {};
}

core::Status ToDevice::receive(const std::string& origin, const json::object& content) {
  const json::value* sender = content.if_contains("sender");
  const json::value* type = content.if_contains("type");
  const json::value* message_id = content.if_contains("message_id");
  if (!sender || !sender->is_string() || !type || !type->is_string() || type->get_string().empty() || !message_id ||
      !message_id->is_string() || !core::is_valid_opaque_id(message_id->get_string()))
    return core::fail(Errc::kBadJson, "A to-device EDU needs sender, type and message_id");
  auto sender_id = core::UserId::parse(sender->get_string());
  if (!sender_id || sender_id->server() != origin)
    return core::fail(Errc::kForbidden, "The sender is not a user of the origin server");
  Expanded expanded;
  if (auto ok = expand(content.if_contains("messages"), sender_id->str(), std::string(type->get_string()), expanded);
      !ok)
    return ok;
  // Only this server's users: another server's here would be a relay nobody asked for.
  const storage::Transaction txn{sender_id->str(), "", "federation/m.direct_to_device",
                                 std::string(message_id->get_string())};
  const storage::InboxLimits limits{config_.to_device_inbox_messages, config_.to_device_inbox_bytes};
  if (store_.add_to_device(expanded.queued, txn, limits))
    for (const auto& user : expanded.recipients) notifier_.notify_user(user);
  return {};
}

ToDeviceBatch ToDevice::take(const Session& session, storage::StreamPos acknowledged, storage::StreamPos upto) {
  if (acknowledged > 0) store_.ack_to_device(session.user_id, session.device_id, acknowledged);
  ToDeviceBatch batch;
  batch.delivered_up_to = upto;
  auto messages = store_.to_device_inbox(session.user_id, session.device_id, acknowledged, kSyncBatch);
  for (auto& message : messages) {
    if (message.pos > upto) break;
    auto content = core::parse_json_object(message.content);
    batch.events.push_back(json::object{{"sender", message.sender},
                                        {"type", message.type},
                                        {"content", content ? std::move(*content) : json::object{}}});
    if (batch.events.size() == kSyncBatch) batch.delivered_up_to = message.pos;
  }
  return batch;
}

}  // namespace myelin::homeserver
