#pragma once
// Third-party invites (client-server-api "Third-party invites"): which public key of an
// m.room.third_party_invite event signed an identity server's `signed` object. The auth rules
// (5.4.1.7) allow the invite when one does; a server taking such an invite also asks the
// identity server, at the key's key_validity_url, whether that key is still valid.
#include <optional>
#include <string>

#include "core/json.h"

namespace myelin::rooms {

struct InviteKey {
  std::string public_key;    // as the event gives it
  std::string validity_url;  // "" when the event gives none for it
};

// The key of `invite_content` (public_key, and each of public_keys) that verifies one of the
// signatures of `signed_`; nullopt when none does. Keys may be in either base64 alphabet.
std::optional<InviteKey> third_party_invite_key(const json::object& invite_content, const json::object& signed_);

}  // namespace myelin::rooms
