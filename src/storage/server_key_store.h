#pragma once
// Other servers' signing keys as fetched from them (storage/store.h has the contract;
// server-server-api "Retrieving server keys"): the key ring's cache across restarts. Rows are
// bounded by the key ring (at most 16 keys per answer it accepts) and by purge_server_keys.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace myelin::storage {

struct ServerKeyRecord {
  std::string server_name;
  std::string key_id;                      // "ed25519:abc"
  std::string public_key;                  // unpadded base64
  std::int64_t valid_until_ts = 0;         // ms: a current key, as its server answered
  std::optional<std::int64_t> expired_ts;  // an old key (old_verify_keys): when it stopped signing
};

class ServerKeyStore {
 public:
  virtual ~ServerKeyStore() = default;

  // Every key stored for the server.
  virtual std::vector<ServerKeyRecord> server_keys(const std::string& server_name) = 0;
  // Adds or replaces (by server and key ID) each key of `server_name`, and keeps `document`,
  // the server's signed key document they came from (a key notary hands it on), as the latest
  // for each of them, valid until `valid_until_ts`. A server keeps at most kMaxKeysPerServer
  // keys: those that stay valid longest.
  virtual void store_server_keys(const std::string& server_name, const std::vector<ServerKeyRecord>& keys,
                                 const std::string& document, std::int64_t valid_until_ts) = 0;
  // The documents kept for the server's keys (one per key at most, the same one shared), so
  // that a key the server no longer lists is still vouched for by the document that had it.
  virtual std::vector<std::string> server_key_documents(const std::string& server_name) = 0;
  static constexpr std::int64_t kMaxKeysPerServer = 64;
  // Deletes the keys whose validity ended before `before_ts` (an old key counts as valid until
  // it expired), and the documents that expired before it.
  virtual void purge_server_keys(std::int64_t before_ts) = 0;
};

}  // namespace myelin::storage
