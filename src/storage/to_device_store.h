#pragma once
// Per-device to-device inboxes (storage/store.h has the contract): each message at its own
// position, bounded per device, deleted once acknowledged.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/common.h"

namespace myelin::storage {

struct ToDeviceMessage {
  std::string user_id, device_id;     // recipient
  std::string sender, type, content;  // content: JSON text
  StreamPos pos = 0;
};

// The most a device's to-device inbox holds: messages, and bytes of their contents (0: no bound).
struct InboxLimits {
  std::int64_t messages = 0;
  std::int64_t bytes = 0;
};

class ToDeviceStore {
 public:
  virtual ~ToDeviceStore() = default;

  // Queues messages for their recipients' devices, each at its own position; an inbox that
  // would hold more than `limits` loses its oldest messages. With a transaction, a repeated
  // one queues nothing and returns false.
  virtual bool add_to_device(const std::vector<ToDeviceMessage>& messages, const std::optional<Transaction>& txn,
                             const InboxLimits& limits) = 0;
  // The device's messages with pos > after, oldest first, at most `limit`.
  virtual std::vector<ToDeviceMessage> to_device_inbox(const std::string& user_id, const std::string& device_id,
                                                       StreamPos after, std::size_t limit) = 0;
  // Deletes the device's messages with pos <= up_to (the client has acknowledged them).
  virtual void ack_to_device(const std::string& user_id, const std::string& device_id, StreamPos up_to) = 0;
  // Empties the inboxes of devices last seen before `seen_before_ts`; returns how many
  // messages went.
  virtual std::int64_t expire_idle_inboxes(std::int64_t seen_before_ts) = 0;
};

}  // namespace myelin::storage
