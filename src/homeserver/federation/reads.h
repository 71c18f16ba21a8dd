#pragma once
// What other servers read of a room to catch up (server-server-api "Retrieving events",
// "Backfilling and retrieving missing events", "Retrieving event authorisation information").
// Each answers only a server with a user joined to the room now, or any server when the room's
// history is world_readable, and only when the room's server ACL allows it (403 M_FORBIDDEN
// otherwise; 404 M_NOT_FOUND for an unknown room or an event not of the room). History
// visibility is judged for the room as it is, not per event.
// Bounded work: walks stop at their limits, an auth chain beyond kMaxAuthChain fails. Outliers
// (soft-failed events, fetched auth events) are served by /event and the walks, but have no
// state here (/state, /state_ids: 404).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/crypto.h"
#include "core/error.h"
#include "core/json.h"
#include "homeserver/timeline/room_cache.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

class FederationReads {
 public:
  // Every PDU answered is as stored, with this server's signature added to its own events
  // (rooms::sign_own_event: they are stored unsigned).
  FederationReads(std::string server_name, storage::EventStore& store, RoomCache& rooms, const core::SigningKey& key)
      : server_name_(std::move(server_name)), store_(store), rooms_(rooms), key_(key) {}

  // GET /event/{eventId}: {origin, origin_server_ts, pdus: [the PDU]}.
  core::Result<json::object> event(const std::string& origin, const std::string& event_id);
  // GET /state_ids/{roomId}?event_id=: {pdu_ids, auth_chain_ids}, the state before the event
  // ("prior to considering any state changes induced by the requested event") and its auth chain.
  core::Result<json::object> state_ids(const std::string& origin, const std::string& room_id,
                                       const std::string& event_id);
  // GET /state/{roomId}?event_id=: {pdus, auth_chain}, the same as PDUs.
  core::Result<json::object> state(const std::string& origin, const std::string& room_id, const std::string& event_id);
  // GET /event_auth/{roomId}/{eventId}: {auth_chain}, the event's auth events, recursively.
  core::Result<json::object> event_auth(const std::string& origin, const std::string& room_id,
                                        const std::string& event_id);
  // /event, /get_missing_events and /backfill answer timeline events that the requesting
  // server's users could not read redacted (redact_unreadable).
  // POST /get_missing_events/{roomId} with the request body: {events}, breadth first through the
  // prev_events of latest_events, skipping earliest_events (and latest_events) and events below
  // min_depth (default 0), at most limit (default 10, at most kMaxMissingEvents), oldest first.
  core::Result<json::object> missing_events(const std::string& origin, const std::string& room_id,
                                            const json::value& body);
  // GET /backfill/{roomId}?v=…&limit=: {origin, origin_server_ts, pdus}, the events `from` (at
  // most 20) and those before them, breadth first through prev_events, at most `limit`
  // (capped at kMaxBackfill).
  core::Result<json::object> backfill(const std::string& origin, const std::string& room_id,
                                      const std::vector<std::string>& from, std::int64_t limit);

  static constexpr std::size_t kMaxMissingEvents = 20;
  static constexpr std::size_t kMaxBackfill = 100;
  static constexpr std::size_t kMaxAuthChain = 50'000;

 private:
  struct Pdu {
    std::string event_id;
    json::object pdu;
    storage::StreamPos pos = 0;  // 0: an outlier
  };
  struct Found {
    std::shared_ptr<RoomState> room;
    storage::StoredEvent event;
  };
  core::Result<std::shared_ptr<RoomState>> readable_room(const std::string& origin, const std::string& room_id);
  core::Result<Found> readable_event(const std::string& origin, const std::string& room_id,
                                     const std::string& event_id);
  // The state before `event`, and its auth chain, as PDUs.
  core::Result<std::pair<std::vector<Pdu>, std::vector<Pdu>>> state_at(const Found& found);
  // The auth events of `pdus`, recursively, without `pdus` themselves unless reached.
  core::Result<std::vector<Pdu>> auth_chain(const RoomState& room, const std::vector<Pdu>& pdus);
  // The stored events of the room among `ids`, parsed and signed if ours.
  std::vector<Pdu> room_events(const RoomState& room, const std::vector<std::string>& ids);
  std::vector<Pdu> walk_back(const RoomState& room, std::vector<std::string> start, std::set<std::string> skip,
                             std::size_t limit, std::int64_t min_depth);
  json::object as_transaction(json::array pdus) const;
  // The timeline events of `pdus` that `origin` may not read redacted (history visibility for
  // servers: an event is readable by a server when one of its users in the room could read it,
  // as the client-server rules say; of at most 100 of its users); outliers as they are.
  void redact_unreadable(const RoomState& room, const std::string& origin, std::vector<Pdu>& pdus);

  std::string server_name_;
  storage::EventStore& store_;
  RoomCache& rooms_;
  const core::SigningKey& key_;
};

}  // namespace myelin::homeserver
