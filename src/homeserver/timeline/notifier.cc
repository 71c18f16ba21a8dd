#include "homeserver/timeline/notifier.h"

namespace myelin::homeserver {

Notifier::WaiterId Notifier::wait(const std::string& user_id, const std::string& room_id,
                                  std::function<void()> on_wake) {
  WaiterId id = next_id_++;
  Waiter waiter{{user_id}, std::move(on_wake)};
  if (!room_id.empty()) waiter.keys.push_back(room_id);
  for (const auto& key : waiter.keys) by_key_.emplace(key, id);
  waiters_.emplace(id, std::move(waiter));
  return id;
}

void Notifier::forget(WaiterId id, const Waiter& waiter) {
  for (const auto& key : waiter.keys) {
    auto [first, last] = by_key_.equal_range(key);
    for (auto k = first; k != last; ++k) {
      if (k->second == id) {
        by_key_.erase(k);
        break;
      }
    }
  }
}

void Notifier::cancel(WaiterId id) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  forget(id, it->second);
  waiters_.erase(it);
}

void Notifier::notify_key(const std::string& key) {
  auto [first, last] = by_key_.equal_range(key);
  if (first == last) return;
  std::vector<WaiterId> woken;
  for (auto k = first; k != last; ++k) woken.push_back(k->second);
  for (WaiterId id : woken) {
    auto it = waiters_.find(id);
    if (it == waiters_.end()) continue;
    forget(id, it->second);
    wake(std::move(it->second.on_wake));
    waiters_.erase(it);
  }
}

void Notifier::notify_user(const std::string& user_id) { notify_key(user_id); }

void Notifier::notify_room(const std::string& room_id) { notify_key(room_id); }

void Notifier::wake(std::function<void()> on_wake) {
  woken_.push_back(std::move(on_wake));
  if (draining_) return;
  draining_ = true;
  scheduler_.post([this] { drain(); });
}

void Notifier::drain() {
  // Afterwards (even when a callback threw: the scheduler logs it), the rest go next turn.
  struct Next {
    Notifier& notifier;
    ~Next() {
      if (notifier.woken_.empty()) notifier.draining_ = false;
      else notifier.scheduler_.post([&n = notifier] { n.drain(); });
    }
  } next{*this};
  for (int i = 0; i < kWakeupsPerTurn && !woken_.empty(); ++i) {
    auto on_wake = std::move(woken_.front());
    woken_.pop_front();
    on_wake();
  }
}

void Notifier::notify_all() {
  for (auto& [id, waiter] : waiters_) wake(std::move(waiter.on_wake));
  waiters_.clear();
  by_key_.clear();
}

void Notifier::on_written(const Written& written) {
  const RoomState& room = written.room;
  const storage::NewEvent& row = written.event.row;
  for (const auto& user : room.joined) notify_user(user);
  notify_room(room.room_id);
  if (row.type == "m.room.member" && row.state_key && !room.joined.contains(*row.state_key))
    notify_user(*row.state_key);
}

void Notifier::notify_users(const std::vector<std::string>& user_ids) {
  for (const auto& user : user_ids) notify_user(user);
}

}  // namespace myelin::homeserver
