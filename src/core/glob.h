#pragma once
// Glob-style matching (appendices "Glob-style matching"): '*' matches zero or more characters,
// '?' exactly one; case-insensitive (ASCII), over the whole text. Push rules and server ACLs
// use it.
#include <string_view>

namespace myelin::core {

bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace myelin::core
