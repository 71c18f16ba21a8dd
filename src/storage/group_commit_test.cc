#include "storage/group_commit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <semaphore>
#include <thread>

#include "storage/store.h"

namespace myelin::storage {
namespace {

using namespace std::chrono_literals;

// The event loop of a test: what GroupCommit posts waits here until the test runs it.
class Loop {
 public:
  GroupCommit::Post post() {
    return [this](std::function<void()> fn) {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(fn));
      ready_.notify_one();
    };
  }
  // Runs what was posted, waiting up to a second for the first; false when nothing came.
  bool run_one() {
    std::function<void()> fn;
    {
      std::unique_lock lock(mutex_);
      if (!ready_.wait_for(lock, 1s, [this] { return !queue_.empty(); })) return false;
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    fn();
    return true;
  }
  std::size_t waiting() {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
};

// A store that counts commits, syncs and checkpoints; syncs and a checkpoint can be made to wait for the test.
class FakeStore : public BatchedWrites {
 public:
  void batch_writes(std::function<void(bool)> opened) override { opened_ = std::move(opened); }
  void commit_batch() override {
    if (fail_commit) throw StorageError("disk full");
    if (open_ == Open::writing) ++commits;
    if (open_ == Open::reading) ++read_turns_ended;
    open_ = Open::closed;
  }
  void sync_log() override {
    ++syncs_started;
    if (fail_sync) throw StorageError("I/O error");
    if (hold_sync) (void)sync_permits.try_acquire_for(5s);  // bounded: a failed test does not hang
    ++flushes;
  }
  void checkpoint() override {
    if (hold_checkpoint) checkpoint_gate.get_future().wait();
    ++checkpoints;
  }
  void write() {
    if (open_ != Open::writing) {
      open_ = Open::writing;
      opened_(true);
    }
  }
  void read() {
    if (open_ == Open::closed) {
      open_ = Open::reading;
      opened_(false);
    }
  }
  int commits = 0, read_turns_ended = 0;
  std::atomic<int> syncs_started{0}, flushes{0}, checkpoints{0};
  bool fail_commit = false;
  std::atomic<bool> fail_sync{false};
  std::atomic<bool> hold_sync{false}, hold_checkpoint{false};
  std::counting_semaphore<> sync_permits{0};  // one for each held sync
  std::promise<void> checkpoint_gate;

 private:
  std::function<void(bool)> opened_;
  enum class Open { closed, reading, writing } open_ = Open::closed;
};

// An answer's release, which the syncer's thread may call.
struct Released {
  std::atomic<int> calls{0};
  std::atomic<bool> ok{false};
  std::function<void(bool)> callback() {
    return [this](bool durable) {
      ok = durable;
      ++calls;
    };
  }
  // Waits up to a second for the `n`th call.
  bool called(int n) const {
    for (int i = 0; i < 1000 && calls < n; ++i) std::this_thread::sleep_for(1ms);
    return calls == n;
  }
};

TEST(GroupCommitTest, AnAnswerWithNoWriteBeforeItGoesAtOnce) {
  Loop loop;
  FakeStore store;
  GroupCommit commit(store, true, loop.post(), [](const std::string&) {});
  Released released;
  commit.after_writes(released.callback());
  EXPECT_EQ(released.calls, 1);
  EXPECT_TRUE(released.ok);
}

// The reads of a turn share a snapshot that the end of the turn closes; no answer waits for it.
TEST(GroupCommitTest, AReadOnlyTurnIsEndedWithoutABatchOrAnFsync) {
  Loop loop;
  FakeStore store;
  GroupCommit commit(store, true, loop.post(), [](const std::string&) {});
  store.read();
  Released released;
  commit.after_writes(released.callback());
  EXPECT_EQ(released.calls, 1);
  ASSERT_TRUE(loop.run_one());
  EXPECT_EQ(store.read_turns_ended, 1);
  EXPECT_EQ(store.commits, 0);
  EXPECT_EQ(store.syncs_started, 0);
  // A write after the reads of a turn makes it a batch that answers wait for.
  store.read();
  store.write();
  Released after_write;
  commit.after_writes(after_write.callback());
  EXPECT_EQ(after_write.calls, 0);
  ASSERT_TRUE(loop.run_one());
  EXPECT_EQ(store.commits, 1);
  ASSERT_TRUE(after_write.called(1));
  EXPECT_TRUE(after_write.ok);
}

TEST(GroupCommitTest, AnAnswerWaitsForTheCommitAndTheFsyncOfTheWritesBeforeIt) {
  Loop loop;
  FakeStore store;
  store.hold_sync = true;
  GroupCommit commit(store, true, loop.post(), [](const std::string&) {});
  store.write();
  Released released;
  commit.after_writes(released.callback());
  EXPECT_EQ(released.calls, 0);
  ASSERT_TRUE(loop.run_one());  // the end of the turn commits and hands the batch to the syncer
  EXPECT_EQ(store.commits, 1);
  while (store.syncs_started == 0) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(released.calls, 0);  // committed, not yet on disk
  store.hold_sync = false;
  store.sync_permits.release();
  ASSERT_TRUE(released.called(1));  // released by the syncer, with nothing posted to the loop
  EXPECT_TRUE(released.ok);
  EXPECT_EQ(store.flushes, 1);
  EXPECT_EQ(loop.waiting(), 0u);
}

// A commit does not wait for the fsync under way: each turn's batch is committed at its end,
// and the batches committed during one fsync share the next.
TEST(GroupCommitTest, BatchesCommittedDuringAFlushShareTheNextFlush) {
  Loop loop;
  FakeStore store;
  store.hold_sync = true;
  GroupCommit commit(store, true, loop.post(), [](const std::string&) {});
  store.write();
  Released first, second, third;
  commit.after_writes(first.callback());
  ASSERT_TRUE(loop.run_one());  // batch 1 committed; its flush waits on the gate
  while (store.syncs_started == 0) std::this_thread::sleep_for(1ms);
  store.write();  // batch 2 opens while batch 1 is being flushed
  commit.after_writes(second.callback());
  ASSERT_TRUE(loop.run_one());  // and is committed at the end of its turn
  store.write();
  commit.after_writes(third.callback());
  ASSERT_TRUE(loop.run_one());  // batch 3 likewise
  EXPECT_EQ(store.commits, 3);
  EXPECT_EQ(store.flushes, 0);
  EXPECT_EQ(first.calls + second.calls + third.calls, 0);  // nothing is durable yet
  store.sync_permits.release();
  ASSERT_TRUE(first.called(1));  // batch 1 durable
  while (store.syncs_started < 2) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(second.calls, 0);  // its flush is under way, held
  store.hold_sync = false;
  store.sync_permits.release();
  ASSERT_TRUE(third.called(1));  // one more flush, for batches 2 and 3 together
  EXPECT_EQ(second.calls, 1);
  EXPECT_EQ(store.flushes, 2);
  EXPECT_EQ(store.syncs_started, 2);
  EXPECT_EQ(loop.waiting(), 0u);
}

TEST(GroupCommitTest, WithoutSyncAnAnswerWaitsForTheCommitOnly) {
  Loop loop;
  FakeStore store;
  store.hold_checkpoint = true;  // a checkpoint may take as long as it likes
  GroupCommit commit(store, false, loop.post(), [](const std::string&) {});
  store.write();
  Released released;
  commit.after_writes(released.callback());
  ASSERT_TRUE(loop.run_one());
  EXPECT_EQ(store.commits, 1);
  EXPECT_EQ(released.calls, 1);
  store.write();  // commits are not held up by the checkpointer either
  ASSERT_TRUE(loop.run_one());
  EXPECT_EQ(store.commits, 2);
  EXPECT_EQ(store.flushes, 0);  // nothing is fsynced
  store.checkpoint_gate.set_value();
}

TEST(GroupCommitTest, ACheckpointDoesNotHoldAnswersBack) {
  Loop loop;
  FakeStore store;
  store.hold_checkpoint = true;
  GroupCommit commit(store, true, loop.post(), [](const std::string&) {});
  store.write();
  Released released;
  commit.after_writes(released.callback());
  ASSERT_TRUE(loop.run_one());      // committed: the checkpointer and the syncer are asked
  EXPECT_TRUE(released.called(1));  // synced while the checkpoint still runs
  EXPECT_EQ(store.checkpoints, 0);
  store.checkpoint_gate.set_value();
}

TEST(GroupCommitTest, AFailedCommitFailsEveryHeldAnswerAndReportsOnce) {
  Loop loop;
  FakeStore store;
  int failures = 0;
  GroupCommit commit(store, true, loop.post(), [&](const std::string&) { ++failures; });
  store.write();
  Released held, later;
  commit.after_writes(held.callback());
  store.fail_commit = true;
  ASSERT_TRUE(loop.run_one());
  EXPECT_EQ(held.calls, 1);
  EXPECT_FALSE(held.ok);
  EXPECT_EQ(failures, 1);
  commit.after_writes(later.callback());  // nothing is acknowledged after a failure
  EXPECT_FALSE(later.ok);
  store.write();
  EXPECT_EQ(loop.waiting(), 0u);  // and nothing more is committed
  EXPECT_EQ(failures, 1);
}

// A failed fsync releases nothing as durable: the loop learns of it and fails every held answer.
TEST(GroupCommitTest, AFailedFsyncFailsTheHeldAnswers) {
  Loop loop;
  FakeStore store;
  store.fail_sync = true;
  int failures = 0;
  GroupCommit commit(store, true, loop.post(), [&](const std::string&) { ++failures; });
  store.write();
  Released held;
  commit.after_writes(held.callback());
  ASSERT_TRUE(loop.run_one());  // committed; the syncer fails
  ASSERT_TRUE(loop.run_one());  // the failure, on the loop
  EXPECT_EQ(held.calls, 1);
  EXPECT_FALSE(held.ok);
  EXPECT_EQ(failures, 1);
}

// The real store: writes of a batch are invisible to another connection until committed, a
// failed write inside the batch rolls back alone, and a destroyed GroupCommit commits the rest.
TEST(GroupCommitTest, SqliteBatchesWritesAndRollsBackOneFailedWriteAlone) {
  const auto dir = std::filesystem::temp_directory_path() / ("myelin-gc-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "db").string();
  {
    auto store = open_sqlite_store({path, true});
    Loop loop;
    GroupCommit commit(*store, true, loop.post(), [](const std::string&) {});
    store->set_account_data("@a:x", "", "m.one", "{}");
    NewEvent create;
    create.event_id = "$create";
    create.room_id = "!r:x";
    create.type = "m.room.create";
    create.state_key = "";
    create.sender = "@a:x";
    create.json = "{}";
    store->persist_events({create}, RoomRecord{"!r:x", "10", "@a:x", false});
    const StreamPos pos = store->current_pos();
    EXPECT_THROW(store->persist_events({create}, std::nullopt), StorageError);  // the same event again
    EXPECT_EQ(store->current_pos(), pos);
    store->set_account_data("@a:x", "", "m.two", "{}");
    {
      auto reader = open_sqlite_store({path, true});
      EXPECT_FALSE(reader->account_data("@a:x", "", "m.one"));  // not committed yet
    }
    Released released;
    commit.after_writes(released.callback());
    ASSERT_TRUE(loop.run_one());
    ASSERT_TRUE(released.called(1));
    EXPECT_TRUE(released.ok);
    auto reader = open_sqlite_store({path, true});
    EXPECT_TRUE(reader->account_data("@a:x", "", "m.one"));
    EXPECT_TRUE(reader->account_data("@a:x", "", "m.two"));
    EXPECT_TRUE(reader->event("$create"));
    EXPECT_EQ(reader->current_pos(), pos + 1);
    store->set_account_data("@a:x", "", "m.three", "{}");  // left to the destructor
  }
  auto reopened = open_sqlite_store({path, true});
  EXPECT_TRUE(reopened->account_data("@a:x", "", "m.three"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace myelin::storage
