#pragma once
// One PDU received from another server (in a transaction, or fetched to fill a gap), taken
// through server-server-api "Checks performed on receipt of a PDU" in the spec's order and
// written through WritePath::write when it passes:
//  0. its room is known here and one of this server's users is joined to it (else ignored);
//  1. rooms::check_pdu_format for the room's version (dropped);
//     its event ID (v1/v2 carried, v3+ the reference hash); one already stored is accepted
//     again without work, one rejected before is refused again;
//  2. the required signers' signatures, keys through the KeyFetcher (dropped);
//  3. the content hash: on mismatch the redacted event goes on (and is what is stored);
//  4. auth against its own auth events, which must all be stored here (rejected; those not
//     stored: refused, not yet fetched through /event_auth);
//  5. auth against the state before it: the state after its one prev event (rejected). Missing
//     prev events are asked of the origin once (POST /get_missing_events, earliest = our
//     forward extremities, limit 10, min_depth = their lowest depth) and the events returned
//     go through these checks oldest first, without asking again; still missing: refused, not
//     stored. Several prev events whose states differ: refused until the store takes an
//     explicit state before (state resolution);
//  6. auth against the room's current state: a failure is a soft failure (not written to the
//     timeline, so no client sees it and it is no forward extremity; answered as accepted).
// Rejected events are remembered (the most recent kMaxRejected IDs) and nothing of them is
// stored. Single-threaded (the loop); the caller runs one PDU per room at a time.
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/json.h"
#include "homeserver/federation/pdu_checks.h"
#include "homeserver/federation/transport.h"
#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/write_path.h"
#include "storage/event_store.h"
#include "storage/relation_store.h"

namespace myelin::homeserver {

struct PduOutcome {
  std::string event_id;  // "" when it could not be worked out (no known room, no valid format)
  std::string error;     // "" when accepted (written, soft-failed or already here)
};

class PduIntake {
 public:
  using Done = std::function<void(PduOutcome)>;
  PduIntake(std::string server_name, storage::EventStore& store, storage::RelationStore& relations, RoomCache& rooms,
            WritePath& write_path, KeyFetcher& keys, Transport& transport);

  // Checks and writes `pdu`, received from `origin` (the authenticated server that sent it);
  // `done` runs exactly once, on the loop, possibly before this returns.
  void receive(const std::string& origin, const json::value& pdu, Done done);

  bool rejected(const std::string& event_id) const { return rejected_.contains(event_id); }

  static constexpr std::size_t kMaxRejected = 10'000;
  static constexpr std::size_t kMissingEventsLimit = 10;

 private:
  struct Pending;
  void receive(std::shared_ptr<Pending> pending);
  void signed_checks(const std::shared_ptr<Pending>& pending, const KeyLookup& keys);
  void prev_events(const std::shared_ptr<Pending>& pending);
  void fetch_missing(const std::shared_ptr<Pending>& pending);
  void receive_in_order(const std::shared_ptr<Pending>& pending, std::shared_ptr<std::vector<json::object>> events,
                        std::size_t next);
  void state_checks(const std::shared_ptr<Pending>& pending, const std::vector<storage::StoredEvent>& prevs);
  void reject(const std::shared_ptr<Pending>& pending, std::string why);
  storage::NewEvent row_of(const Pending& pending, std::int64_t state_group_before) const;

  std::string server_name_;
  storage::EventStore& store_;
  storage::RelationStore& relations_;
  RoomCache& rooms_;
  WritePath& write_path_;
  KeyFetcher& keys_;
  Transport& transport_;
  std::unordered_set<std::string> rejected_;
  std::deque<std::string> rejected_order_;  // oldest first, for the bound
};

}  // namespace myelin::homeserver
