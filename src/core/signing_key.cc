// SigningKey, ed25519 verification and JSON signing (crypto.h; appendices.md "Signing JSON").
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "core/base64.h"
#include "core/crypto.h"
#include "core/files.h"
#include "core/ids.h"
#include "core/sodium.h"

namespace myelin::core {
namespace {

bool is_valid_key_version(std::string_view version) {
  if (version.empty() || version.size() > 64) return false;
  for (char c : version) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

Result<std::string> read_file(int fd) {
  std::string content;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(Errc::kUnknown, std::string("cannot read signing key: ") + std::strerror(errno));
    }
    content.append(buf, static_cast<std::size_t>(n));
    if (content.size() > 65536) return fail(Errc::kUnknown, "signing key file too large");
  }
  return content;
}

// "ed25519 <version> <base64 seed>"; the first such line is the key (Synapse may list more).
Result<SigningKey> parse_key_file(const std::string& content) {
  std::istringstream lines(content);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string algorithm, version, seed64, extra;
    if (!(words >> algorithm)) continue;  // blank line
    if (algorithm != "ed25519" || !(words >> version >> seed64) || (words >> extra)) {
      return fail(Errc::kUnknown, "malformed signing key file");
    }
    std::optional<std::string> seed = base64_decode(seed64);
    if (!seed || !is_valid_key_version(version)) {
      return fail(Errc::kUnknown, "malformed signing key file");
    }
    return SigningKey::from_seed(version, *seed);
  }
  return fail(Errc::kUnknown, "signing key file holds no key");
}

}  // namespace

Result<SigningKey> SigningKey::from_seed(std::string version, std::string_view seed) {
  internal::ensure_sodium();
  if (seed.size() != crypto_sign_SEEDBYTES) {
    return fail(Errc::kUnknown, "an ed25519 seed must be 32 bytes");
  }
  SigningKey key;
  key.key_id_ = "ed25519:" + version;
  std::memcpy(key.seed_.data(), seed.data(), seed.size());
  crypto_sign_seed_keypair(key.public_key_.data(), key.secret_key_.data(), key.seed_.data());
  return key;
}

SigningKey SigningKey::generate(std::string version) {
  internal::ensure_sodium();
  if (version.empty()) version = "a_" + random_string(4);
  std::string seed(crypto_sign_SEEDBYTES, '\0');
  randombytes_buf(seed.data(), seed.size());
  SigningKey key = *from_seed(std::move(version), seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

Result<SigningKey> SigningKey::load_or_create(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) {
      return fail(Errc::kUnknown, "cannot open signing key file " + path + ": " + std::strerror(errno));
    }
    SigningKey key = generate("");
    if (Status s = key.save(path); !s) return std::unexpected(s.error());
    return key;
  }
  Result<std::string> content = read_file(fd);
  ::close(fd);
  if (!content) return std::unexpected(content.error());
  return parse_key_file(*content);
}

Status SigningKey::save(const std::string& path) const {
  const std::string version = key_id_.substr(std::strlen("ed25519:"));
  // Durably: a key lost to a power cut would be replaced by a new one, and the server's
  // signatures would change identity.
  if (!write_file_durably(path, "ed25519 " + version + " " + seed_base64() + "\n", 0600))
    return fail(Errc::kUnknown, "cannot write signing key file " + path + ": " + std::strerror(errno));
  return {};
}

std::string SigningKey::public_key_base64() const {
  return base64_encode(std::string_view(reinterpret_cast<const char*>(public_key_.data()), public_key_.size()));
}

std::string SigningKey::seed_base64() const {
  return base64_encode(std::string_view(reinterpret_cast<const char*>(seed_.data()), seed_.size()));
}

std::string SigningKey::sign(std::string_view message) const {
  internal::ensure_sodium();
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       secret_key_.data());
  return base64_encode(std::string_view(reinterpret_cast<const char*>(signature), sizeof signature));
}

bool verify_ed25519(std::string_view public_key_base64, std::string_view message, std::string_view signature_base64) {
  internal::ensure_sodium();
  std::optional<std::string> public_key = base64_decode(public_key_base64);
  std::optional<std::string> signature = base64_decode(signature_base64);
  if (!public_key || public_key->size() != crypto_sign_PUBLICKEYBYTES) return false;
  if (!signature || signature->size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature->data()),
                                     reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                     reinterpret_cast<const unsigned char*>(public_key->data())) == 0;
}

void sign_json(json::object& object, std::string_view entity, const SigningKey& key) {
  const std::string signature = key.sign(canonical_json_without(object, {"signatures", "unsigned"}));
  json::value& signatures = object["signatures"];
  if (!signatures.is_object()) signatures = json::object();
  json::value& by_entity = signatures.get_object()[entity];
  if (!by_entity.is_object()) by_entity = json::object();
  by_entity.get_object()[key.key_id()] = signature;
}

bool verify_json(const json::object& object, std::string_view entity, std::string_view key_id,
                 std::string_view public_key_base64) {
  if (!key_id.starts_with("ed25519:")) return false;
  const json::value* signatures = object.if_contains("signatures");
  if (!signatures || !signatures->is_object()) return false;
  const json::value* by_entity = signatures->get_object().if_contains(entity);
  if (!by_entity || !by_entity->is_object()) return false;
  const json::value* signature = by_entity->get_object().if_contains(key_id);
  if (!signature || !signature->is_string()) return false;
  return verify_ed25519(public_key_base64, canonical_json_without(object, {"signatures", "unsigned"}),
                        signature->get_string());
}

}  // namespace myelin::core
