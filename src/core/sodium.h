#pragma once
// Internal to src/core: libsodium must be initialised once before use. ensure_sodium() is
// cheap after the first call and thread-safe (function-local static).
#include <sodium.h>

#include <cstdlib>

namespace myelin::core::internal {

inline void ensure_sodium() {
  static const bool ready = [] {
    if (sodium_init() < 0) std::abort();  // no usable randomness: nothing can run safely
    return true;
  }();
  (void)ready;
}

}  // namespace myelin::core::internal
