#pragma once
// The one stream of positions (storage/store.h has the contract): everything a /sync can
// report takes the next position when it is written.
#include "storage/common.h"

namespace myelin::storage {

class PositionStore {
 public:
  virtual ~PositionStore() = default;

  virtual StreamPos current_pos() = 0;
  // Takes and persists the next position for something held only in memory (typing).
  virtual StreamPos allocate_pos() = 0;
};

}  // namespace myelin::storage
