#include "storage/group_commit.h"

#include <utility>

#include "storage/common.h"

namespace myelin::storage {

GroupCommit::GroupCommit(BatchedWrites& store, bool sync, Post post, std::function<void(const std::string&)> on_failure)
    : store_(store), sync_(sync), post_(std::move(post)), on_failure_(std::move(on_failure)) {
  store_.batch_writes([this] {
    open_ = true;
    schedule();
  });
  thread_ = std::thread([this] { flusher(); });
}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  if (failed_) return;
  try {
    store_.commit_batch();
    store_.flush_log(sync_);
  } catch (const std::exception& e) {
    on_failure_(std::string("the last writes could not be stored: ") + e.what());
  }
}

void GroupCommit::after_writes(std::function<void(bool)> release) {
  if (failed_) return release(false);
  const std::uint64_t batch = open_ ? committed_ + 1 : committed_;
  if (batch <= durable_) return release(true);
  held_.push_back({batch, std::move(release)});
}

// With `sync`, while the flusher works the open batch grows; it is committed when it is done.
void GroupCommit::schedule() {
  if (turn_posted_ || (sync_ && flushing_) || failed_) return;
  turn_posted_ = true;
  post_([this] { end_of_turn(); });
}

void GroupCommit::end_of_turn() {
  turn_posted_ = false;
  if (failed_ || (sync_ && flushing_)) return;
  if (open_) {
    open_ = false;
    try {
      store_.commit_batch();
    } catch (const std::exception& e) {
      return fail(std::string("a commit failed: ") + e.what());
    }
    ++committed_;
  }
  if (committed_ == durable_) return;
  {
    std::lock_guard lock(mutex_);
    to_flush_ = committed_;
  }
  wake_.notify_one();
  // Without fsync an answer needs the commit only, and the flusher just checkpoints.
  if (sync_) flushing_ = true;
  else release_up_to(committed_);
}

void GroupCommit::flushed(std::uint64_t batch, const std::string& error) {
  if (!error.empty()) return fail(error);
  if (!sync_) return;
  flushing_ = false;
  release_up_to(batch);
  if (open_) schedule();
}

void GroupCommit::release_up_to(std::uint64_t batch) {
  durable_ = batch;
  while (!held_.empty() && held_.front().batch <= durable_) {
    auto release = std::move(held_.front().release);
    held_.pop_front();
    release(true);
  }
}

void GroupCommit::fail(const std::string& why) {
  if (failed_) return;
  failed_ = true;
  while (!held_.empty()) {
    auto release = std::move(held_.front().release);
    held_.pop_front();
    release(false);
  }
  on_failure_(why);
}

void GroupCommit::flusher() {
  for (;;) {
    std::uint64_t batch = 0;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || to_flush_ != 0; });
      if (to_flush_ == 0) return;  // stopping, nothing left
      batch = std::exchange(to_flush_, 0);
    }
    std::string error;
    try {
      store_.flush_log(sync_);
    } catch (const std::exception& e) {
      error = std::string("flushing the log failed: ") + e.what();
    }
    post_([this, batch, error] { flushed(batch, error); });
  }
}

}  // namespace myelin::storage
