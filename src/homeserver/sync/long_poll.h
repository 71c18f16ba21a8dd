#pragma once
// Long-polling, shared by /sync and /events: a request is answered at once when its first
// computation has something new, when it has no timeout or when the server is stopping;
// otherwise it waits on the Notifier (one-shot waiters, re-armed after a wake-up that brought
// nothing new for it — no polling loop) and a timer (at most five minutes), and is answered at
// the first wake-up with something new or at the timeout with whatever there is then. Every
// request is answered exactly once. Single-threaded.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/json.h"
#include "homeserver/timeline/notifier.h"
#include "http/http.h"

namespace myelin::homeserver {

class LongPoll {
 public:
  // Builds the response; sets `has_updates` when anything in it is new.
  using Compute = std::function<json::object(bool& has_updates)>;
  LongPoll(Notifier& notifier, http::Scheduler& scheduler) : notifier_(notifier), scheduler_(scheduler) {}

  // Wakes on news for `user`, and also for `room` unless it is "" (a room watched without
  // being joined to it).
  void run(const std::string& user, const std::string& room, std::int64_t timeout_ms, Compute compute,
           std::function<void(json::object)> done);
  // The server is stopping: waiting requests are answered now with what they have, and later
  // ones do not wait.
  void stop();

 private:
  struct Pending;
  void wait(std::shared_ptr<Pending> pending);

  Notifier& notifier_;
  http::Scheduler& scheduler_;
  bool stopping_ = false;
};

}  // namespace myelin::homeserver
