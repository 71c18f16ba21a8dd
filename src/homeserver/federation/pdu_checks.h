#pragma once
// The checks on a PDU received from another server that need no store and no network
// (server-server-api "Checks performed on receipt of a PDU", steps 2–4, and "Validating hashes
// and signatures on received events"). The receiver fetches the keys `signing_keys_needed`
// names (KeyRing), then runs these in order: signatures (drop on failure), content hash
// (process the redacted copy on mismatch), auth against the event's own auth events (reject).
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "rooms/room_version.h"

namespace myelin::homeserver {

// A server's public key as far as a signature check needs it.
struct VerifyKey {
  std::string public_key;                  // unpadded base64
  std::int64_t valid_until_ts = 0;         // ms; the key may sign events up to this time (room versions 5+)
  std::optional<std::int64_t> expired_ts;  // an old key: signatures made after this do not count
};
// The key `key_id` of `server`, when known (fetched beforehand), else nullopt.
using KeyLookup = std::function<std::optional<VerifyKey>(std::string_view server, std::string_view key_id)>;

struct KeyNeed {
  std::string server;
  std::string key_id;
  // The key must be known valid at least until then (ms; the signed thing's timestamp), so a
  // cached copy that expired earlier is fetched again. 0: any cached copy will do.
  std::int64_t minimum_valid_until_ts = 0;
};

// Gets other servers' keys (the key ring: its cache, then each server itself, notaries only
// when configured). `done` runs on the event loop exactly once, with a lookup over every key it
// could get; a key it could not get is simply absent from it.
class KeyFetcher {
 public:
  virtual ~KeyFetcher() = default;
  virtual void fetch(std::vector<KeyNeed> needs, std::function<void(KeyLookup)> done) = 0;
};

// The servers whose signature the PDU must carry: the sender's, and in room versions 1 and 2
// the server of the event ID when it differs. (A restricted join's authorising server is
// checked with the auth rules, which need the state.) Empty when the sender is malformed.
std::vector<std::string> required_signers(const json::object& pdu, const rooms::RoomVersionRules& rules);

// The (server, key ID) pairs of the PDU's signatures by required signers: what to fetch before
// verify_pdu_signatures. At most 16 per server are listed; more make the check fail anyway.
// `also`: one more server whose signature is required (an invitee's, on our invite).
std::vector<KeyNeed> signing_keys_needed(const json::object& pdu, const rooms::RoomVersionRules& rules,
                                         std::string_view also = {});

// Every required signer has signed the redacted event with at least one known key usable at
// the event's origin_server_ts, and every such signature verifies; signatures by unknown or
// expired keys are skipped. Fails with M_FORBIDDEN naming the server.
core::Status verify_pdu_signatures(const json::object& pdu, const rooms::RoomVersionRules& rules, const KeyLookup& keys,
                                   std::string_view also = {});

// Whether hashes.sha256 is the content hash of the event. When not, the receiver goes on with
// rooms::redact(pdu) instead of what it received.
bool content_hash_matches(const json::object& pdu);

// Step 4: the authorization rules against the event's own auth events (their PDUs, in the
// order the event lists them; the caller has refused an event naming an auth event it does
// not have or has rejected). `create` is the room's m.room.create, which v12 events do not list.
core::Status authorize_by_auth_events(const json::object& pdu, std::span<const json::object* const> auth_events,
                                      const json::object& create, const rooms::RoomVersionRules& rules);

}  // namespace myelin::homeserver
