#include "homeserver/e2ee/to_device.h"

#include <limits>
#include <set>

#include "core/clock.h"
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

core::Status ToDevice::send(const Session& sender, const std::string& type, const storage::Transaction& txn,
                            const json::object& body) {
  auto messages = body.if_contains("messages");
  if (!messages) return core::fail(Errc::kMissingParam, "Missing messages");
  if (!messages->is_object()) return core::fail(Errc::kBadJson, "messages must be an object");
  std::vector<storage::ToDeviceMessage> queued;
  std::size_t queued_bytes = 0;
  std::set<std::string> recipients;
  const std::int64_t idle = idle_before();
  for (const auto& [user_key, devices] : messages->get_object()) {
    const std::string user(user_key);
    auto parsed = core::UserId::parse(user);
    if (!parsed) return core::fail(Errc::kInvalidParam, "Invalid user ID " + user);
    if (!devices.is_object()) return core::fail(Errc::kBadJson, "messages must map users to devices");
    for (const auto& [device, content] : devices.get_object()) {
      if (!content.is_object()) return core::fail(Errc::kBadJson, "A to-device message content must be an object");
      std::string text = core::canonical_json(content);
      if (text.size() > kMaxToDeviceBytes) return core::fail(Errc::kTooLarge, "A to-device message is too large");
      if (parsed->server() != config_.server_name) continue;
      std::vector<std::string> device_ids;
      if (device == "*") {
        for (const auto& record : account_store_.devices(user))
          if (record.last_seen_ts >= idle) device_ids.push_back(record.device_id);
      } else if (auto record = account_store_.device(user, std::string(device));
                 record && record->last_seen_ts >= idle) {
        device_ids.emplace_back(device);
      }
      for (auto& device_id : device_ids) {
        queued.push_back({user, std::move(device_id), sender.user_id, type, text, 0});
        queued_bytes += text.size();
        if (queued.size() > kMaxToDeviceMessages || queued_bytes > kMaxToDeviceRequestBytes)
          return core::fail(Errc::kTooLarge, "Too many to-device messages");
      }
      if (!device_ids.empty()) recipients.insert(user);
    }
  }
  const storage::InboxLimits limits{config_.to_device_inbox_messages, config_.to_device_inbox_bytes};
  if (store_.add_to_device(queued, txn, limits))
    for (const auto& user : recipients) notifier_.notify_user(user);
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
