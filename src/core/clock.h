#pragma once
// The wall clock every layer reads, in the unit the Matrix protocol uses.
#include <cstdint>

namespace myelin::core {

// Milliseconds since the Unix epoch.
std::int64_t now_ms();

}  // namespace myelin::core
