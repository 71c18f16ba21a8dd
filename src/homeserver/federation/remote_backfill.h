#pragma once
// Back-filling a room's history from other servers (server-server-api "Backfilling and
// retrieving missing events"): a room joined over federation starts at the join, and a client
// paginating back past it (timeline/RoomReader's /messages, through the Backfill callback wired
// in homeserver.h) gets the older events from a server in the room. GET
// /_matrix/federation/v1/backfill/{roomId}?v=<the room's earliest events>&limit=100 goes to
// at most kMaxServers servers in turn (the earliest event's sender's first, then the servers
// with members joined) until one answers with new events. Every PDU is checked as a received
// one is, steps 1–4 (join_response.h's check_pdu_batch: format, room, signatures, content hash
// — redacted on mismatch —, auth by its auth events, from the batch or the store); those
// failing go unused, and so do events newer than the room's earliest (a soft-failed outlier
// stays out of the timeline); a redaction erases its target in the batch when the power levels
// allow it. The rest are written oldest first below every stored position
// (storage::EventStore::persist_history), never through the write path: no /sync wakes, no
// push, nothing sent on. The visibility before the oldest written event is the room's
// earliest known history_visibility while the batch crossed no m.room.history_visibility
// event; past one it is not known and counts as "joined" (nobody sees what they were not joined
// for) until an older batch brings the event that set it; below the create event it is the
// spec's default, "shared".
// Bounds: one back-fill per room at a time (later requests wait for it, at most kMaxWaiters),
// kRequestTimeout per server, and every waiter answered by kDeadline even when the servers are
// slow (what arrives later is still stored). A back-fill that brought nothing is not tried
// again for that room for kRetryAfter. Everything runs on the loop.
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "homeserver/federation/pdu_checks.h"
#include "homeserver/federation/transport.h"
#include "homeserver/timeline/room_cache.h"
#include "http/http.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

class RemoteBackfill {
 public:
  static constexpr std::size_t kLimit = 100;  // events asked for and taken per answer
  static constexpr std::size_t kMaxServers = 3;
  static constexpr std::size_t kMaxFrom = 5;  // earliest events named in v
  static constexpr std::size_t kMaxWaiters = 64;
  static constexpr std::size_t kMaxResponseBytes = kLimit * 65'536 + (64 << 10);
  static constexpr std::chrono::seconds kRequestTimeout{10};
  static constexpr std::chrono::seconds kDeadline{15};
  static constexpr std::chrono::seconds kRetryAfter{60};

  RemoteBackfill(std::string server_name, storage::EventStore& store, RoomCache& rooms, Transport& transport,
                 KeyFetcher& keys, http::Scheduler& scheduler)
      : server_name_(std::move(server_name)),
        store_(store),
        rooms_(rooms),
        transport_(transport),
        keys_(keys),
        scheduler_(scheduler) {}

  // Fetches one batch of `room_id`'s history older than its earliest event, when there is any
  // to fetch; `done` runs once, on the loop (at once when there is nothing to do).
  void backfill(const std::string& room_id, std::function<void()> done);

 private:
  struct Run;
  void try_next(std::shared_ptr<Run> run);
  void on_answer(std::shared_ptr<Run> run, const IncomingResponse& response);
  // Checks the PDUs and stores what is new; false when nothing was.
  bool store_batch(const Run& run, std::vector<json::object> pdus, const KeyLookup& keys);
  void finish(std::shared_ptr<Run> run, bool progressed);
  // Answers the run's waiters (once: later ones are answered at once).
  static void answer(Run& run);

  std::string server_name_;
  storage::EventStore& store_;
  RoomCache& rooms_;
  Transport& transport_;
  KeyFetcher& keys_;
  http::Scheduler& scheduler_;
  std::map<std::string, std::shared_ptr<Run>> running_;  // by room
  std::map<std::string, std::chrono::steady_clock::time_point> idle_until_;
};

}  // namespace myelin::homeserver
