#pragma once
// Test-only: a Scheduler whose timers run when the test says (fire()); posted and blocking
// work runs at once on the caller's thread.
#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "http/http.h"

namespace myelin::http {

class ManualScheduler final : public Scheduler {
 public:
  struct Pending final : Timer {
    Pending(ManualScheduler& owner, std::chrono::milliseconds d, std::function<void()> f)
        : scheduler(owner), delay(d), fn(std::move(f)) {}
    ~Pending() override { std::erase(scheduler.timers, this); }  // a dropped timer never fires
    void cancel() override { fn = nullptr; }
    ManualScheduler& scheduler;
    std::chrono::milliseconds delay;
    std::function<void()> fn;
  };
  void post(std::function<void()> fn) override { fn(); }
  std::unique_ptr<Timer> after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    auto timer = std::make_unique<Pending>(*this, delay, std::move(fn));
    timers.push_back(timer.get());
    return timer;
  }
  void run_blocking(std::function<void()> work, std::function<void()> then) override {
    work();
    then();
  }
  // Runs the oldest timer (which its owner still holds); returns its delay.
  std::chrono::milliseconds fire() {
    Pending* timer = timers.front();
    timers.erase(timers.begin());
    const auto delay = timer->delay;
    if (auto fn = std::exchange(timer->fn, nullptr)) fn();
    return delay;
  }
  std::vector<Pending*> timers;  // not yet fired, oldest first
};

}  // namespace myelin::http
