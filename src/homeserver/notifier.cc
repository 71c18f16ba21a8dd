#include "homeserver/notifier.h"

namespace myelin::homeserver {

Notifier::WaiterId Notifier::wait(const std::string& user_id, std::function<void()> on_wake) {
  WaiterId id = next_id_++;
  waiters_.emplace(id, Waiter{user_id, std::move(on_wake)});
  by_user_.emplace(user_id, id);
  return id;
}

void Notifier::cancel(WaiterId id) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  auto [first, last] = by_user_.equal_range(it->second.user_id);
  for (auto u = first; u != last; ++u) {
    if (u->second == id) {
      by_user_.erase(u);
      break;
    }
  }
  waiters_.erase(it);
}

void Notifier::notify_user(const std::string& user_id) {
  auto [first, last] = by_user_.equal_range(user_id);
  if (first == last) return;
  std::vector<WaiterId> woken;
  for (auto u = first; u != last; ++u) woken.push_back(u->second);
  by_user_.erase(first, last);
  for (WaiterId id : woken) {
    auto it = waiters_.find(id);
    if (it == waiters_.end()) continue;
    scheduler_.post(std::move(it->second.on_wake));
    waiters_.erase(it);
  }
}

void Notifier::notify_all() {
  for (auto& [id, waiter] : waiters_) scheduler_.post(std::move(waiter.on_wake));
  waiters_.clear();
  by_user_.clear();
}

void Notifier::notify_users(const std::vector<std::string>& user_ids) {
  for (const auto& user : user_ids) notify_user(user);
}

}  // namespace myelin::homeserver
