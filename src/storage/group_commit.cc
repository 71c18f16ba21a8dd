#include "storage/group_commit.h"

#include <utility>
#include <vector>

#include "storage/common.h"

namespace myelin::storage {

GroupCommit::Worker::Worker(std::function<void(std::uint64_t)> work) : work_(std::move(work)) {
  thread_ = std::thread([this] {
    for (;;) {
      std::uint64_t n = 0;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || asked_ != 0; });
        if (stopping_) return;
        n = std::exchange(asked_, 0);
      }
      work_(n);
    }
  });
}

void GroupCommit::Worker::ask(std::uint64_t n) {
  {
    std::lock_guard lock(mutex_);
    asked_ = n;
  }
  wake_.notify_one();
}

void GroupCommit::Worker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

GroupCommit::GroupCommit(BatchedWrites& store, bool sync, Post post, std::function<void(const std::string&)> on_failure)
    : store_(store),
      sync_(sync),
      post_(std::move(post)),
      on_failure_(std::move(on_failure)),
      // Releases on the syncer's own thread: an answer does not queue behind the loop's work.
      syncer_([this](std::uint64_t batch) {
        if (run_reporting([this] { store_.sync_log(); })) release_up_to(batch);
      }),
      checkpointer_([this](std::uint64_t) { run_reporting([this] { store_.checkpoint(); }); }) {
  store_.batch_writes([this](bool writes) {
    if (writes) open_ = true;
    schedule();
  });
}

GroupCommit::~GroupCommit() {
  syncer_.stop();
  checkpointer_.stop();
  if (!failed_) {
    try {
      store_.commit_batch();
      if (sync_) store_.sync_log();
      store_.checkpoint();
    } catch (const std::exception& e) {
      on_failure_(std::string("the last writes could not be stored: ") + e.what());
    }
  }
  store_.batch_writes(nullptr);  // later writes commit on their own
}

bool GroupCommit::run_reporting(const std::function<void()>& step) {
  try {
    step();
    return true;
  } catch (const std::exception& e) {
    post_([this, why = std::string(e.what())] { fail(why); });
    return false;
  }
}

void GroupCommit::after_writes(std::function<void(bool)> release) {
  std::unique_lock lock(held_mutex_);
  const std::uint64_t batch = open_ ? committed_ + 1 : committed_;
  if (failed_ || batch <= durable_) {
    const bool durable = !failed_;
    lock.unlock();
    return release(durable);
  }
  held_.push_back({batch, std::move(release)});
}

void GroupCommit::schedule() {
  if (turn_posted_ || failed_) return;
  turn_posted_ = true;
  post_([this] { end_of_turn(); });
}

void GroupCommit::end_of_turn() {
  turn_posted_ = false;
  if (failed_) return;
  const bool wrote = std::exchange(open_, false);
  try {
    store_.commit_batch();
  } catch (const std::exception& e) {
    return fail(std::string("a commit failed: ") + e.what());
  }
  if (wrote) {
    ++committed_;
    checkpointer_.ask(committed_);
  }
  // Without fsync an answer needs the commit only.
  if (!sync_) return release_up_to(committed_);
  if (sync_asked_ == committed_) return;  // its fsync is asked for already
  sync_asked_ = committed_;
  syncer_.ask(committed_);
}

void GroupCommit::release_up_to(std::uint64_t batch) {
  std::vector<std::function<void(bool)>> ready;
  {
    std::lock_guard lock(held_mutex_);
    durable_ = batch;
    for (; !held_.empty() && held_.front().batch <= durable_; held_.pop_front())
      ready.push_back(std::move(held_.front().release));
  }
  for (auto& release : ready) release(true);
}

void GroupCommit::fail(const std::string& why) {
  std::deque<Held> failed;
  {
    std::lock_guard lock(held_mutex_);
    if (failed_) return;
    failed_ = true;
    failed.swap(held_);
  }
  for (auto& held : failed) held.release(false);
  on_failure_(why);
}

}  // namespace myelin::storage
