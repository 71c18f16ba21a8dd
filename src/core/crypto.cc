// Hashes, constant-time comparison, passwords and access tokens (crypto.h). Signing keys
// and JSON signatures live in signing_key.cc.
#include "core/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <new>

#include "core/base64.h"
#include "core/sodium.h"

namespace myelin::core {

// OpenSSL's SHA-256 uses the CPU's SHA extensions where there are any (about four times
// libsodium's portable code on a 700-byte event); the algorithm is fetched once.
std::string sha256(std::string_view bytes) {
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::string out(32, '\0');
  unsigned int size = 0;
  if (!kSha256 ||
      !EVP_Digest(bytes.data(), bytes.size(), reinterpret_cast<unsigned char*>(out.data()), &size, kSha256, nullptr))
    throw std::bad_alloc();  // OpenSSL fails here only without memory (or without its default provider)
  return out;
}

std::string hmac_sha1(std::string_view key, std::string_view msg) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(msg.data()),
       msg.size(), mac, &mac_len);
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

std::string hmac_sha1_hex(std::string_view key, std::string_view msg) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : hmac_sha1(key, msg)) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  internal::ensure_sodium();
  if (a.size() != b.size()) return false;  // lengths are not secret
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hash_password(std::string_view password) {
  internal::ensure_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_argon2id_str(out, password.data(), password.size(), crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE) != 0) {
    throw std::bad_alloc();  // libsodium fails here only when it cannot get the memory
  }
  return out;
}

bool verify_password(std::string_view password, const std::string& hash) {
  internal::ensure_sodium();
  // crypto_pwhash_str_verify reads a NUL-terminated string of bounded length.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES || hash.find('\0') != std::string::npos) {
    return false;
  }
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string new_access_token() {
  internal::ensure_sodium();
  std::string bytes(32, '\0');
  randombytes_buf(bytes.data(), bytes.size());
  return "myl_" + base64url_encode(bytes);
}

std::string token_digest(std::string_view token) { return sha256(token); }

}  // namespace myelin::core
