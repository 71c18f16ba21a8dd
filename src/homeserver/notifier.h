#pragma once
// Wakes long-polling /sync requests when something new arrives for a user. Waiters are
// one-shot: notify_users() removes each woken waiter and posts its callback to the event loop,
// so a sender's request never runs other users' sync work inline. Single-threaded.
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/http.h"

namespace myelin::homeserver {

class Notifier {
 public:
  using WaiterId = std::uint64_t;
  explicit Notifier(http::Scheduler& scheduler) : scheduler_(scheduler) {}

  WaiterId wait(const std::string& user_id, std::function<void()> on_wake);
  void cancel(WaiterId id);
  void notify_users(const std::vector<std::string>& user_ids);
  void notify_user(const std::string& user_id);
  void notify_all();

 private:
  struct Waiter {
    std::string user_id;
    std::function<void()> on_wake;
  };
  http::Scheduler& scheduler_;
  WaiterId next_id_ = 1;
  std::unordered_map<WaiterId, Waiter> waiters_;
  std::unordered_multimap<std::string, WaiterId> by_user_;
};

}  // namespace myelin::homeserver
