#pragma once
// The receiving end of PUT /_matrix/federation/v1/send/{txnId} (server-server-api
// "Transactions", "EDUs"): one transaction from `origin`, the server the request was
// authenticated as. Strict: the body's origin must be `origin`, origin_server_ts an integer,
// pdus an array of at most 50 and edus (optional) of at most 100 (else 400 M_BAD_JSON, or
// M_TOO_LARGE for the counts). Each PDU goes through PduIntake; the PDUs of one room are taken
// one at a time in the order received (across transactions), rooms in parallel, one bad PDU
// never stopping the others. The answer, once every PDU is done, is {"pdus": {event_id: {} or
// {"error": ...}}} (PDUs whose ID cannot be worked out, of rooms unknown here, are left out):
// an error for a PDU that could not be taken (malformed, badly signed, its auth events or
// prev events not to be had), none for one handled, whether accepted or rejected by the auth
// rules (a rejection is the outcome of processing, as Synapse answers it too; logged here).
// Idempotent per (origin, txnId): the answers of the last kRememberedTransactions transactions
// (over all origins) are kept and given again without processing; a repeat of one in progress
// waits for its answer. At most kMaxQueuedPdus PDUs wait at once: beyond, 429 M_LIMIT_EXCEEDED
// (the sender retries the same transaction).
// EDUs: m.typing and m.receipt (m.read) of the origin's own users go to the Edus callbacks,
// which apply them only to users joined to the room, unless the room's server ACL denies the
// origin; other EDU types are ignored.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/ids.h"
#include "core/json.h"
#include "homeserver/federation/pdu_intake.h"

namespace myelin::homeserver {

// Where received EDUs go (wired in homeserver.h: typing and receipts to the sync domain's
// Ephemeral, which refuses users not joined to the room; to-device messages to e2ee's ToDevice;
// device-list and signing-key updates to DeviceLists). The receiver ignores refusals.
struct Edus {
  std::function<void(const core::UserId& user, const core::RoomId& room, bool typing)> typing;
  std::function<void(const core::UserId& user, const core::RoomId& room, const core::EventId& event,
                     const std::string& thread_id)>
      read_receipt;
  // m.direct_to_device: the EDU's content, from `origin`.
  std::function<void(const std::string& origin, const json::object& content)> to_device;
  // m.device_list_update and m.signing_key_update: the user (of `origin`) whose keys changed.
  std::function<void(const std::string& origin, const std::string& user_id)> keys_changed;
  // m.presence: the EDU's content, from `origin`.
  std::function<void(const std::string& origin, const json::object& content)> presence;
};

class Receiver {
 public:
  using Answer = std::function<void(core::Result<json::object>)>;
  Receiver(PduIntake& intake, Edus edus) : intake_(intake), edus_(std::move(edus)) {}

  // `done` runs exactly once, on the loop (possibly before this returns).
  void receive(const std::string& origin, const std::string& txn_id, const json::value& body, Answer done);

  static constexpr std::size_t kMaxPdus = 50;
  static constexpr std::size_t kMaxEdus = 100;
  static constexpr std::size_t kRememberedTransactions = 1000;
  static constexpr std::size_t kMaxQueuedPdus = 2000;

 private:
  struct Transaction {
    std::string key;  // origin + '\n' + txnId
    json::object results;
    std::size_t outstanding = 0;
    std::vector<Answer> waiting;
  };
  struct Job {
    std::string origin;
    json::value pdu;
    std::shared_ptr<Transaction> transaction;
  };
  void take_edus(const std::string& origin, const json::array& edus);
  void receipts(const std::string& origin, const json::object& content);
  struct RoomQueue {
    std::deque<Job> jobs;
    bool busy = false;  // a PDU of the room is being checked
  };
  void enqueue(const std::string& room_id, Job job);
  void run(const std::string& room_id);
  void finished(const std::shared_ptr<Transaction>& transaction);
  void remember(const std::string& key, const json::object& answer);

  PduIntake& intake_;
  Edus edus_;
  std::map<std::string, RoomQueue> rooms_;  // rooms with PDUs being checked or waiting
  std::size_t queued_ = 0;
  std::unordered_map<std::string, std::shared_ptr<Transaction>> in_progress_;
  std::list<std::pair<std::string, json::object>> answered_;  // most recent first
  std::unordered_map<std::string, std::list<std::pair<std::string, json::object>>::iterator> answered_index_;
};

}  // namespace myelin::homeserver
