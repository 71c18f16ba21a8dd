#pragma once
// Other servers' signing keys (server-server-api "Retrieving server keys"), fetched directly
// from each server (GET /_matrix/key/v2/server). PRIVACY: a notary (POST /_matrix/key/v2/query)
// is asked only when the server itself cannot answer and federation.trusted_key_servers names
// one (none by default), so no third server learns whom we talk to; its answer counts when
// both the server's own signature and the notary's (its keys fetched from it directly) verify. Kept in memory (at most
// kMaxServers servers) over the store's copy (storage/server_key_store.h), each until its valid_until_ts (capped at 7
// days); one fetch per server at a time, shared by everyone waiting for it; a server whose keys could not be had is not
// asked again for kRetryAfterFailureMs. Our own keys are answered from our key, unfetched. Single-threaded (the loop).
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "homeserver/federation/options.h"
#include "homeserver/federation/pdu_checks.h"
#include "homeserver/federation/transport.h"
#include "storage/server_key_store.h"

namespace myelin::homeserver {

class KeyRing final : public KeyFetcher {
 public:
  KeyRing(const FederationOptions& options, const core::SigningKey& own_key, storage::ServerKeyStore& store,
          Transport& transport);

  // `done` may run before fetch returns, when every key is at hand.
  void fetch(std::vector<KeyNeed> needs, std::function<void(KeyLookup)> done) override;
  // Forgets (memory and store) the keys whose validity ended a week before `now_ms`.
  void purge(std::int64_t now_ms);

  // What a notary is asked about one server: keys by ID (none: all) valid until at least then.
  struct Criteria {
    std::vector<std::string> key_ids;
    std::int64_t minimum_valid_until_ts = 0;  // 0: now
  };
  // As a notary (federation.serve_key_notary): the key documents of `servers` — those that
  // list a key asked for, or all — fetched again when a key asked for is unknown or not valid
  // long enough, each with our signature added; a server with none is left out. At most
  // kMaxServersPerFetch servers.
  void notarise(std::map<std::string, Criteria> servers, std::function<void(json::array)> done);

  static constexpr std::size_t kMaxServers = 10'000;
  static constexpr std::size_t kMaxServersPerFetch = 100;
  static constexpr std::int64_t kRetryAfterFailureMs = 10'000;
  static constexpr std::size_t kMaxKeyAnswerBytes = 64 * 1024;

 private:
  struct Server {
    std::vector<storage::ServerKeyRecord> keys;
    bool loaded = false;  // from the store
    bool fetching = false;
    std::int64_t failed_at = 0;
    std::vector<std::function<void()>> waiting;  // run once the fetch in flight ends
  };
  Server& server(const std::string& name);
  bool has(const Server& server, const KeyNeed& need) const;
  void request_keys(const std::string& name);
  void finish(const std::string& name, const IncomingResponse& response);
  // After the server itself failed: the notary trusted_key_servers[index], then the next.
  void ask_notary(const std::string& name, std::size_t index);
  void notary_answered(const std::string& name, std::size_t index, const IncomingResponse& response);
  // Keeps the checked keys of `document` and wakes whoever waits for the server.
  void accept(const std::string& name, std::vector<storage::ServerKeyRecord> keys, const json::object& document);
  void give_up(const std::string& name, const std::string& why);
  void wake(Server& entry);
  std::optional<VerifyKey> lookup(std::string_view server, std::string_view key_id) const;

  const FederationOptions& options_;
  const core::SigningKey& own_key_;
  storage::ServerKeyStore& store_;
  Transport& transport_;
  std::map<std::string, Server, std::less<>> servers_;
};

}  // namespace myelin::homeserver
