#pragma once
// What group commit (group_commit.h) needs of a store: writes that join one open batch, the
// batch committed on the loop, and the log made durable on another thread.
#include <functional>

namespace myelin::storage {

// What group commit needs of a store.
class BatchedWrites {
 public:
  virtual ~BatchedWrites() = default;
  // From now on writes join an open batch; `opened` is called (on the loop) as a write opens one.
  // Null (with no batch open): back to every write committing on its own.
  virtual void batch_writes(std::function<void()> opened) = 0;
  // Commits the open batch, without waiting for the disk. On the loop; throws StorageError.
  virtual void commit_batch() = 0;
  // On another thread, while the loop goes on writing: makes every batch committed before the
  // call survive a power loss. Throws StorageError.
  virtual void sync_log() = 0;
  // On a third thread, alongside the other two: moves the log into the database when it has
  // grown. Throws StorageError.
  virtual void checkpoint() = 0;
};

}  // namespace myelin::storage
