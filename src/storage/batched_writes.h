#pragma once
// What group commit (group_commit.h) needs of a store: the statements of a turn of the loop
// that join one open transaction (a batch, once it writes), committed on the loop, and the log
// made durable on another thread.
#include <functional>

namespace myelin::storage {

// What group commit needs of a store.
class BatchedWrites {
 public:
  virtual ~BatchedWrites() = default;
  // From now on statements join the turn's open transaction; `opened` is called on the loop as
  // a read opens one (`writes` false: commit_batch() must end it, but nothing waits for the disk)
  // and as the first write joins or opens one (true: a batch). Null (with none open): back to
  // every statement committing on its own.
  virtual void batch_writes(std::function<void(bool writes)> opened) = 0;
  // Ends the open transaction, committing the batch if it wrote, without waiting for the disk.
  // On the loop; throws StorageError.
  virtual void commit_batch() = 0;
  // On another thread, while the loop goes on writing: makes every batch committed before the
  // call survive a power loss. Throws StorageError.
  virtual void sync_log() = 0;
  // On a third thread, alongside the other two: moves the log into the database when it has
  // grown. Throws StorageError.
  virtual void checkpoint() = 0;
};

}  // namespace myelin::storage
