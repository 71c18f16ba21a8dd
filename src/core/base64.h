#pragma once
// Unpadded base64 as the spec uses it (appendices.md, "Unpadded Base64"): standard and
// URL-safe alphabets. Decoding accepts padded and unpadded input of its alphabet and fails
// (nullopt) on anything else.
#include <optional>
#include <string>
#include <string_view>

namespace myelin::core {

std::string base64_encode(std::string_view bytes);     // standard alphabet, unpadded
std::string base64url_encode(std::string_view bytes);  // URL-safe alphabet, unpadded
std::optional<std::string> base64_decode(std::string_view text);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace myelin::core
