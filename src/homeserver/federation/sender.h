#pragma once
// Sends this server's events to the other servers of their rooms (server-server-api
// "Transactions", PUT /_matrix/federation/v1/send/{txnId}). One queue per destination and one
// transaction in flight per destination, at most 50 PDUs and 100 EDUs each, in order. A
// transaction that gets no answer, 401, 429 or 5xx is sent again (the same txnId, so the
// destination applies it once) after a backoff that doubles from 1 s to kMaxBackoff; any other
// answer ends it (the destination refused it; a PDU it refused alone is named in its answer
// and not retried). Any request from a destination (`heard_from`) retries it at once: it is
// back. A queue keeps at most kMaxQueuedPdus / kMaxQueuedEdus (the oldest go: the destination
// fetches missing events through prev_events of the newest, get_missing_events), and exists
// only while it holds something or waits for a retry. Single-threaded (the loop).
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/json.h"
#include "homeserver/federation/transport.h"
#include "homeserver/timeline/write_path.h"
#include "http/http.h"

namespace myelin::homeserver {

class FederationSender {
 public:
  FederationSender(std::string server_name, Transport& transport, http::Scheduler& scheduler,
                   const core::SigningKey& key);

  // The write-path subscriber: an event sent here (its sender is local) goes to every other
  // server with a member joined after it, and, for m.room.member other than an invite (which
  // went through /invite), the target's server (so the server of a user who left or was kicked
  // hears of it); never to a server the room's server ACL denies (nor are its room EDUs).
  // It is signed (rooms::sign_own_event) once for all its destinations, on the worker pool:
  // the events written meanwhile wait (at most kMaxQueuedPdus, the oldest go) and are signed
  // together next, so they leave in the order written and one batch at a time takes the pool.
  void on_written(const Written& written);

  void send_edu(const std::string& destination, json::object edu);
  // An EDU {edu_type, content} to every other server with a member joined to the room.
  void send_room_edu(const RoomState& room, std::string_view edu_type, const json::object& content);
  // A request from `destination` arrived: a transaction waiting for its retry goes now.
  void heard_from(const std::string& destination);

  // The wait before the next attempt after `failures` failed ones: 1 s, 2 s, 4 s … kMaxBackoff.
  static std::chrono::milliseconds backoff(int failures);

  static constexpr std::size_t kMaxPdusPerTransaction = 50;
  static constexpr std::size_t kMaxEdusPerTransaction = 100;
  static constexpr std::size_t kMaxQueuedPdus = 1000;
  static constexpr std::size_t kMaxQueuedEdus = 1000;
  static constexpr std::chrono::seconds kMaxBackoff{60};

  std::size_t queued(const std::string& destination) const;  // PDUs and EDUs not yet answered

 private:
  struct Queue {
    std::deque<json::object> pdus, edus;
    std::size_t in_flight_pdus = 0, in_flight_edus = 0;  // the front ones, sent in `txn_id`
    std::string txn_id;                                  // of the transaction in flight or to retry
    bool sending = false;
    int failures = 0;
    std::unique_ptr<http::Timer> retry;
  };
  // A written event on its way to `destinations`, to be signed off the loop.
  struct Unsigned {
    std::vector<std::string> destinations;
    json::object pdu;
    const rooms::RoomVersionRules* rules;  // static: safe on the worker
  };
  void send_pdu(const std::vector<std::string>& destinations, const json::object& pdu);
  // Unless a batch is on the pool: the events waiting go there to be signed, then out.
  void sign_waiting();
  void pump(const std::string& destination);
  void finish(const std::string& destination, const IncomingResponse& response);

  std::string server_name_;
  Transport& transport_;
  http::Scheduler& scheduler_;
  const core::SigningKey& key_;
  std::map<std::string, Queue> queues_;
  std::deque<Unsigned> waiting_;  // written, not yet signed, in order
  bool signing_ = false;          // a batch is on the pool
  std::uint64_t next_txn_ = 0;
  const std::int64_t started_ms_;  // with next_txn_, a txnId this server never used before
};

}  // namespace myelin::homeserver
