#include "rooms/third_party_invite.h"

#include <vector>

#include "core/crypto.h"

namespace myelin::rooms {
namespace {

std::string standard_base64(std::string_view key) {
  std::string out(key);
  for (char& c : out) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  return out;
}

std::string text_of(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

}  // namespace

std::optional<InviteKey> third_party_invite_key(const json::object& invite_content, const json::object& signed_) {
  std::vector<InviteKey> keys;
  if (std::string key = text_of(invite_content, "public_key"); !key.empty())
    keys.push_back({key, text_of(invite_content, "key_validity_url")});
  const json::value* list = invite_content.if_contains("public_keys");
  if (list && list->is_array()) {
    for (const json::value& entry : list->get_array()) {
      if (!entry.is_object()) continue;
      if (std::string key = text_of(entry.get_object(), "public_key"); !key.empty())
        keys.push_back({key, text_of(entry.get_object(), "key_validity_url")});
    }
  }
  const json::value* signatures = signed_.if_contains("signatures");
  if (!signatures || !signatures->is_object()) return std::nullopt;
  for (const auto& [server, by_key] : signatures->get_object()) {
    if (!by_key.is_object()) continue;
    for (const auto& entry : by_key.get_object())
      for (const InviteKey& key : keys)
        if (core::verify_json(signed_, server, entry.key(), standard_base64(key.public_key))) return key;
  }
  return std::nullopt;
}

}  // namespace myelin::rooms
