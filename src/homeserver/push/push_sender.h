#pragma once
// Sends pushes to push gateways (push-gateway-api POST /_matrix/push/v1/notify), one queue per
// pusher, in order. A failed push (no answer, 5xx, 429) is retried after 1, 2 then 4 s
// (kMaxAttempts in all), then dropped, and the queue goes on; any other answer but 2xx drops it
// at once (redirects are not followed). A
// queue keeps at most kQueueBound pushes (the oldest go), and queues exist only while they
// hold pushes. A gateway that answers with the pusher's pushkey in `rejected` has the pusher
// removed (`rejected`). Each push goes to the pusher as it is stored when its turn comes
// (`current`: its URL now), and the queue of a pusher that is gone (deleted, logged out, taken
// by another user's append: false) is dropped. The requests run off the loop (Scheduler::run_waiting: http::fetch,
// 5 s each, at most kInFlight at once, the queues taking turns), so a slow or dead gateway
// delays only pushes, and at most kInFlight of them. Single-threaded (the loop).
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "homeserver/push/options.h"
#include "http/client.h"
#include "http/http.h"
#include "storage/pusher_store.h"

namespace myelin::homeserver {

// What a gateway answered: its status (0 when unreachable) and body (then the error).
using GatewayAnswer = http::FetchAnswer;

class PushSender {
 public:
  // Posts `body` to `url` and calls `done` on the loop.
  using Transport = std::function<void(const std::string& url, std::string body, std::function<void(GatewayAnswer)>)>;
  using Rejected = std::function<void(const storage::PusherRecord& pusher)>;
  // The pusher with that user, app_id and pushkey as stored now; nullopt when it is gone.
  using Current = std::function<std::optional<storage::PusherRecord>(const storage::PusherRecord& pusher)>;

  // The transport is http::fetch on the worker pool, with the gateway policy of `config`.
  PushSender(const PushOptions& config, http::Scheduler& scheduler, Current current, Rejected rejected);
  PushSender(http::Scheduler& scheduler, Transport transport, Current current, Rejected rejected)
      : scheduler_(scheduler),
        transport_(std::move(transport)),
        current_(std::move(current)),
        rejected_(std::move(rejected)) {}

  void send(const storage::PusherRecord& pusher, const json::object& body);

  // The wait before the next attempt after `failures` failed ones.
  static std::chrono::milliseconds backoff(int failures);
  // The pushkeys a successful answer lists in `rejected`.
  static std::vector<std::string> rejected_pushkeys(const std::string& body);

  static constexpr int kMaxAttempts = 4;
  static constexpr std::size_t kQueueBound = 50;
  static constexpr int kInFlight = 4;

  std::size_t queued() const;  // pushes waiting, over all queues

 private:
  struct Queue {
    storage::PusherRecord pusher;
    std::deque<std::string> bodies;
    int failures = 0;   // of the front push
    bool busy = false;  // has a push in flight, waiting for a retry or for its turn
    std::unique_ptr<http::Timer> retry;
  };
  void pump();
  void start(const std::string& key);
  void finish(const std::string& key, const GatewayAnswer& answer);

  http::Scheduler& scheduler_;
  Transport transport_;
  Current current_;
  Rejected rejected_;
  std::map<std::string, Queue> queues_;  // by user_id '\n' app_id '\n' pushkey
  std::deque<std::string> ready_;        // queues with a push to start
  int in_flight_ = 0;
};

}  // namespace myelin::homeserver
