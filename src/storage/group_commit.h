#pragma once
// Group commit with answers held until durable. Writes do not commit one by one: the store
// keeps one open batch that every write joins, and this commits it at the end of the event
// loop's turn (after the requests that were ready together; a turn that only read ends its
// shared snapshot there too, and nothing waits for it), then has a thread of its own
// fdatasync the log while the loop goes on. The batches committed meanwhile (one a turn, so
// that a commit is never on the path of an answer) share the next fsync, which starts as soon
// as the one under way ends. That thread releases the answers it made durable itself, so that
// they do not wait behind the loop's queue of requests. An answer waits (after_writes) until
// every write made before it is durable, so no client, the writer or anyone reading what it
// wrote, sees a write the disk could still lose; an answer with no write before it that is not
// yet durable goes out at once. Without `sync` an answer waits for the commit only (a kill -9
// loses nothing acknowledged; a power loss may). A third thread checkpoints the log into the
// database, off the loop and off the path of the answers.
//
// A failed commit, fsync or checkpoint leaves the store's in-memory state (positions, caches)
// ahead of the disk, or the disk in doubt: every held answer is then a failure and
// `on_failure` is called once with the reason (app/ stops the server, which comes back
// consistent with the disk on restart).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "storage/batched_writes.h"

namespace myelin::storage {

class GroupCommit {
 public:
  // Runs a function on the loop thread; callable from any thread.
  using Post = std::function<void(std::function<void()>)>;
  GroupCommit(BatchedWrites& store, bool sync, Post post, std::function<void(const std::string&)> on_failure);
  // Commits and syncs what is left (call once the loop has stopped).
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // On the loop: calls `release(true)` once every write made so far is committed (and, with
  // `sync`, on disk) — at once when there is none waiting — or `release(false)` if that failed.
  // `release` runs on the loop, or on the syncer's thread when it is the fsync that frees it.
  void after_writes(std::function<void(bool durable)> release);

 private:
  // A thread that runs its work for the newest number it was asked for (asks made while it
  // works are merged into one run).
  class Worker {
   public:
    explicit Worker(std::function<void(std::uint64_t)> work);
    ~Worker() { stop(); }
    void ask(std::uint64_t n);
    // Waits for the run in progress, if any; nothing runs afterwards.
    void stop();

   private:
    std::function<void(std::uint64_t)> work_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::uint64_t asked_ = 0;  // 0: nothing asked
    bool stopping_ = false;
    std::thread thread_;
  };
  struct Held {
    std::uint64_t batch;  // released once `durable_` reaches it
    std::function<void(bool)> release;
  };
  void schedule();
  void end_of_turn();
  // On the loop, or on the syncer once a batch is on disk.
  void release_up_to(std::uint64_t batch);
  void fail(const std::string& why);
  // On a worker: `step`; a failure is posted to the loop (to fail()) and gives false.
  bool run_reporting(const std::function<void()>& step);

  BatchedWrites& store_;
  const bool sync_;
  Post post_;
  std::function<void(const std::string&)> on_failure_;
  // Loop-thread state. Batches are numbered from 1.
  bool open_ = false;         // a batch is open (its number is committed_ + 1)
  bool turn_posted_ = false;  // end_of_turn() is posted
  std::uint64_t committed_ = 0;
  std::uint64_t sync_asked_ = 0;  // the newest batch the syncer was asked to make durable
  // Shared with the syncer, which releases answers; written under the mutex (failed_ on the
  // loop only, so that the loop reads it without). committed_ >= durable_.
  std::mutex held_mutex_;
  bool failed_ = false;
  std::uint64_t durable_ = 0;
  std::deque<Held> held_;  // in batch order
  Worker syncer_;          // stopped first thing in the destructor
  Worker checkpointer_;
};

}  // namespace myelin::storage
