#pragma once
// Wakes long-polling /sync and /events requests when something new arrives for a user, or in
// a room a request watches without being joined to it (peeking through /events?room_id=).
// Waiters are one-shot: a notification removes each woken waiter (under all its keys) and
// queues its callback, so a sender's request never runs other users' sync work inline;
// cancel() removes one at its timeout. The queue is run a few callbacks per turn of the event
// loop, so that when a message wakes a thousand syncs the loop's other work — the sender's
// answer, the commit that releases it, the syncs answered so far — goes on between them. Single-threaded. It hears of
// new room events as a subscriber of the write path (on_written, wired in homeserver.h).
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "homeserver/timeline/write_path.h"
#include "http/http.h"

namespace myelin::homeserver {

class Notifier {
 public:
  using WaiterId = std::uint64_t;
  explicit Notifier(http::Scheduler& scheduler) : scheduler_(scheduler) {}

  // Wakes on news for the user, and for the room too unless `room_id` is "".
  WaiterId wait(const std::string& user_id, const std::string& room_id, std::function<void()> on_wake);
  void cancel(WaiterId id);
  void notify_users(const std::vector<std::string>& user_ids);
  void notify_user(const std::string& user_id);
  // Wakes the requests watching the room (its members are woken through notify_user).
  void notify_room(const std::string& room_id);
  void notify_all();
  // A new room event: wakes the room's joined members, the requests watching the room, and
  // the target of a membership event who is not joined (an invitee, someone who left).
  void on_written(const Written& written);

 private:
  // User IDs and room IDs cannot be equal (their sigils differ), so one map holds both.
  struct Waiter {
    std::vector<std::string> keys;
    std::function<void()> on_wake;
  };
  void notify_key(const std::string& key);
  void forget(WaiterId id, const Waiter& waiter);
  void wake(std::function<void()> on_wake);
  void drain();
  static constexpr int kWakeupsPerTurn = 8;

  http::Scheduler& scheduler_;
  WaiterId next_id_ = 1;
  std::unordered_map<WaiterId, Waiter> waiters_;
  std::unordered_multimap<std::string, WaiterId> by_key_;
  std::deque<std::function<void()>> woken_;  // callbacks of woken waiters, run by drain()
  bool draining_ = false;                    // drain() is posted
};

}  // namespace myelin::homeserver
