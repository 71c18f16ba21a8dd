#include "homeserver/sync/long_poll.h"

#include <algorithm>
#include <chrono>

namespace myelin::homeserver {

struct LongPoll::Pending {
  std::string user;
  std::string room;  // a room watched without being joined to it ("" for none)
  Compute compute;
  std::function<void(json::object)> done;
  Notifier::WaiterId waiter = 0;
  std::unique_ptr<http::Timer> timer;
  bool finished = false;
};

void LongPoll::run(const std::string& user, const std::string& room, std::int64_t timeout_ms, Compute compute,
                   std::function<void(json::object)> done) {
  bool has_updates = false;
  json::object body = compute(has_updates);
  if (has_updates || timeout_ms <= 0 || stopping_) {
    done(std::move(body));
    return;
  }
  auto pending = std::make_shared<Pending>();
  pending->user = user;
  pending->room = room;
  pending->compute = std::move(compute);
  pending->done = std::move(done);
  const auto timeout = std::chrono::milliseconds(std::min<std::int64_t>(timeout_ms, 300'000));
  std::weak_ptr<Pending> weak = pending;
  pending->timer = scheduler_.after(timeout, [this, weak] {
    auto p = weak.lock();
    if (!p || p->finished) return;
    p->finished = true;
    notifier_.cancel(p->waiter);
    bool ignored = false;
    p->done(p->compute(ignored));
  });
  wait(std::move(pending));
}

void LongPoll::stop() {
  stopping_ = true;
  notifier_.notify_all();
}

void LongPoll::wait(std::shared_ptr<Pending> pending) {
  pending->waiter = notifier_.wait(pending->user, pending->room, [this, pending] {
    if (pending->finished) return;
    bool has_updates = false;
    json::object body = pending->compute(has_updates);
    if (!has_updates && !stopping_) {
      wait(pending);
      return;
    }
    pending->finished = true;
    pending->timer->cancel();
    pending->done(std::move(body));
  });
}

}  // namespace myelin::homeserver
