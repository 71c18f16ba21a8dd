#pragma once
// One PDU received from another server (in a transaction, or fetched to fill a gap), taken
// through server-server-api "Checks performed on receipt of a PDU" in the spec's order and
// written through WritePath::write when it passes:
//  0. its room is known here and one of this server's users is joined to it (else ignored; a
//     room known only through an invite or knock takes a leave or ban of it: out_of_room);
//     the room's server ACL allows the origin (else refused, with its event ID);
//  1. rooms::check_pdu_format for the room's version (dropped);
//     its event ID (v1/v2 carried, v3+ the reference hash); one already stored is accepted
//     again without work, one rejected before is refused again;
//  2. the required signers' signatures, keys through the KeyFetcher (dropped);
//  3. the content hash: on mismatch the redacted event goes on (and is what is stored);
//  4. auth against its own auth events (rejected). Those not stored here are asked of the
//     origin once (GET /event_auth, at most kMaxAuthChainEvents; when it gives no chain, the
//     missing ones through /event): each event of the chain that passes checks 1–4 itself,
//     oldest first, is stored as an outlier; still missing: refused;
//  5. auth against the state before it (rejected): the state after its prev event, or the
//     resolution of the states after its prev events (rooms/state_res.h) when they differ.
//     Missing prev events (pdu_intake_gap.cc) are asked of the origin through POST
//     /get_missing_events (earliest = our forward extremities, min_depth 0: a missing event may
//     fork off below them) in rounds of kMissingEventsLimit,
//     each round asking for the prev events the last one did not close, until the gap closes, a
//     round brings nothing new, or kMaxGapEvents / kMaxGapBytes are reached; the events fetched
//     go through these checks oldest first. An event whose prev events are still missing (or
//     known only as outliers, whose state is not known here) gets the state after each of them
//     from the origin (GET /state_ids at it, the events not stored here through GET /event,
//     at most kMaxStateFetchEvents, checked as auth events and stored as outliers; the state
//     at an event is the state before it, plus the event when it is state), at most
//     kMaxStateFetches times per received PDU; failing that: refused, not stored;
//  6. auth against the room's current state: a failure is a soft failure — stored as an
//     outlier (served to other servers, never in the timeline nor a forward extremity, so no
//     client sees it), answered as accepted.
// An event that leaves other forward extremities in place sets the room's current state to the
// resolution of the state after it and the current state.
// Rejected events are remembered (the most recent kMaxRejected IDs, with their prev events)
// and nothing else of them is stored. A rejected event changes no state, so one that names it
// among its prev events is checked against the state before it: its own prev events stand in. Since the PDUs of a room
// wait for the one being checked, each fetch gets at most kFetchTimeout, and an origin that let one run out (kSlowFetch
// or more without an answer) is not asked again for kFetchBackoffMs: its PDUs that need a fetch are refused at once.
// Single-threaded (the loop); the caller runs one PDU per room at a time.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/federation/pdu_checks.h"
#include "homeserver/federation/transport.h"
#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/write_path.h"
#include "storage/event_store.h"
#include "storage/relation_store.h"

namespace myelin::homeserver {

struct PduOutcome {
  std::string event_id;   // "" when it could not be worked out (no known room, no valid format)
  std::string error;      // "" when accepted (written, soft-failed or already here)
  bool rejected = false;  // `error` says why the auth rules refused it (now or before)
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
  // Whether the room's m.room.server_acl lets `server` take part (server-server-api "Server
  // Access Control Lists"); true for a room unknown here.
  static bool acl_allows(const RoomState& room, const std::string& server);
  bool acl_allows(const std::string& room_id, const std::string& server);

  static constexpr std::size_t kMaxRejected = 10'000;
  static constexpr std::size_t kMissingEventsLimit = 20;  // what myelin and Synapse serve at most
  static constexpr std::size_t kMaxGapEvents = 1000;
  static constexpr std::size_t kMaxGapBytes = 16 << 20;
  static constexpr int kMaxStateFetches = 4;
  static constexpr std::size_t kMaxStateIds = 100'000;
  static constexpr std::size_t kMaxStateFetchEvents = 2000;
  static constexpr std::size_t kParallelEventFetches = 8;
  static constexpr std::size_t kMaxAuthChainEvents = 1000;
  static constexpr std::size_t kMaxAuthChainBytes = 16 << 20;
  static constexpr std::chrono::seconds kFetchTimeout{10};
  static constexpr std::int64_t kSlowFetchMs = 5'000;
  static constexpr std::int64_t kFetchBackoffMs = 60'000;
  static constexpr std::size_t kMaxSlowOrigins = 1'000;

 private:
  struct Pending;
  struct Gap;
  struct GapBudget;
  using Fetched = std::vector<std::pair<std::string, json::object>>;  // (event ID, PDU)
  // pdu_intake.cc: steps 0–4 and the missing prev events.
  void receive(std::shared_ptr<Pending> pending);
  // A room not joined here (known through an invite or a knock): only a leave or ban of a local
  // user invited or knocking, sent by a user of the origin (a knock refused, an invite
  // withdrawn), format, ID, signatures and content hash checked, written as the room's current
  // state (write_out_of_room); anything else is refused.
  void out_of_room(std::shared_ptr<Pending> pending);
  void signed_checks(const std::shared_ptr<Pending>& pending, const KeyLookup& keys);
  void auth_checks(const std::shared_ptr<Pending>& pending);
  void prev_events(const std::shared_ptr<Pending>& pending);
  // pdu_intake_gap.cc: missing prev events, and the state after those that stay missing.
  void fetch_missing(const std::shared_ptr<Pending>& pending);
  void missing_round(const std::shared_ptr<Pending>& pending, const std::shared_ptr<Gap>& gap);
  void fetch_state_after(const std::shared_ptr<Pending>& pending, std::vector<storage::StoredEvent> prevs,
                         std::vector<std::string> missing, std::vector<storage::StateMap> states);
  void fetch_events(const std::string& origin, const std::string& room_id, std::vector<std::string> ids,
                    std::function<void(Fetched)> done);
  // The state after `event_id` (stored here, as an outlier): `state_ids` (stored here), plus
  // the event when it is state; nullopt when one of them is not stored or not state of the room.
  std::optional<storage::StateMap> state_after(const std::string& room_id, const std::string& event_id,
                                               const std::vector<std::string>& state_ids);
  void receive_in_order(const std::shared_ptr<Pending>& pending, std::shared_ptr<std::vector<json::object>> events,
                        std::size_t next);
  void reject(const std::shared_ptr<Pending>& pending, std::string why);
  // Whether `origin` may be asked for missing events now (not slow lately), and the outcome of
  // a fetch from it asked at `asked_at` (core::now_ms()).
  bool may_ask(const std::string& origin) const;
  void answered(const std::string& origin, std::int64_t asked_at, const IncomingResponse& response);
  void remember_rejected(const std::string& event_id, std::vector<std::string> prev_events);
  // `prev_ids` with each rejected event replaced by its own prev events (in turn, when rejected).
  std::vector<std::string> without_rejected(std::vector<std::string> prev_ids) const;
  // The PDUs of the auth events `pdu` names, in its order, from `fetched` or the store; nullopt
  // when one is missing, rejected or of another room.
  std::optional<std::vector<json::object>> auth_events_of(const RoomState& room, const json::object& pdu,
                                                          const std::map<std::string, json::object>& fetched);
  // pdu_intake_auth.cc: the auth chain from the origin (step 4).
  void fetch_auth_chain(const std::shared_ptr<Pending>& pending);
  // The fetched events not known here yet, with their signers' keys, stored (store_auth_chain);
  // then step 4 again.
  void take_auth_events(const std::shared_ptr<Pending>& pending, Fetched fetched);
  void store_auth_chain(const RoomState& room, Fetched& events, const KeyLookup& keys);
  // pdu_intake_state.cc: steps 5 and 6, and the write.
  // `prevs`: the prev events stored here; `fetched_states`: the states after the others, from
  // the origin (empty when none was missing).
  void state_checks(const std::shared_ptr<Pending>& pending, const std::vector<storage::StoredEvent>& prevs,
                    std::vector<storage::StateMap> fetched_states = {});
  // The resolution of `states`, over the store and the pending event (not stored yet).
  core::Result<storage::StateMap> resolve(std::vector<storage::StateMap> states, const RoomState& room,
                                          const Pending& pending);
  storage::NewEvent row_of(const Pending& pending) const;
  void soft_fail(const Pending& pending, const std::string& why);

  std::string server_name_;
  storage::EventStore& store_;
  storage::RelationStore& relations_;
  RoomCache& rooms_;
  WritePath& write_path_;
  KeyFetcher& keys_;
  Transport& transport_;
  std::unordered_map<std::string, std::vector<std::string>> rejected_;  // event ID -> its prev events
  std::deque<std::string> rejected_order_;                              // oldest first, for the bound
  std::map<std::string, std::int64_t> slow_origins_;                    // origin → when a fetch from it ran out
};

// The fields an outlier and a timeline row share, from a checked PDU.
storage::NewOutlier outlier_of(const std::string& event_id, const std::string& room_id, const json::object& pdu);

}  // namespace myelin::homeserver
