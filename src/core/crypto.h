#pragma once
// Hashes, ed25519 signing keys, JSON signatures (appendices.md, "Signing JSON") and password
// hashing, all over libsodium. Pure functions except load_or_create_signing_key (file I/O) and
// the random sources. Thread-safe.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/json.h"

namespace myelin::core {

std::string sha256(std::string_view bytes);                             // raw 32 bytes
std::string hmac_sha1(std::string_view key, std::string_view msg);      // raw 20 bytes (TURN REST credentials)
std::string hmac_sha1_hex(std::string_view key, std::string_view msg);  // Synapse admin register
bool constant_time_equal(std::string_view a, std::string_view b);

// A server's ed25519 signing key. key_id is "ed25519:<version>".
class SigningKey {
 public:
  // A fresh random key; an empty version picks a random one ("a_" + 4 alphanumerics).
  static SigningKey generate(std::string version);
  // The key derived from a 32-byte ed25519 seed (raw bytes); fails with M_UNKNOWN otherwise.
  static Result<SigningKey> from_seed(std::string version, std::string_view seed);
  // Reads a Synapse-compatible key file ("ed25519 <version> <base64 seed>") or, when it does
  // not exist, generates a key and writes it with mode 0600. Fails with M_UNKNOWN on a
  // malformed file.
  static Result<SigningKey> load_or_create(const std::string& path);
  // Writes the key file (mode 0600) durably, replacing any (core::write_file_durably).
  Status save(const std::string& path) const;

  const std::string& key_id() const { return key_id_; }
  std::string public_key_base64() const;             // unpadded base64 of the 32-byte public key
  std::string sign(std::string_view message) const;  // unpadded base64 signature
  std::string seed_base64() const;                   // unpadded base64 of the seed (the key file's form)

 private:
  std::string key_id_;
  std::array<unsigned char, 32> seed_{};
  std::array<unsigned char, 32> public_key_{};
  std::array<unsigned char, 64> secret_key_{};
};

bool verify_ed25519(std::string_view public_key_base64, std::string_view message, std::string_view signature_base64);

// Signs `object` as `entity` (a server name): canonical JSON of the object without
// "signatures" and "unsigned", then adds signatures[entity][key_id], keeping other signatures.
void sign_json(json::object& object, std::string_view entity, const SigningKey& key);

// True when signatures[entity][key_id] is a valid signature by `public_key_base64`.
bool verify_json(const json::object& object, std::string_view entity, std::string_view key_id,
                 std::string_view public_key_base64);

// Passwords: argon2id (libsodium crypto_pwhash_str, interactive limits). verify is constant-time.
std::string hash_password(std::string_view password);
bool verify_password(std::string_view password, const std::string& hash);

// Opaque secrets handed to clients (access tokens): 32 random bytes, URL-safe base64,
// prefixed "myl_". Stored only as token_digest(token).
std::string new_access_token();
std::string token_digest(std::string_view token);  // sha256, raw bytes

}  // namespace myelin::core
