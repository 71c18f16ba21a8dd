#pragma once
// Reading relations as a client may (client-server-api "Relationships API": GET
// /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]; "Querying threads in a room":
// GET /rooms/{roomId}/threads): only events the reader may see under history visibility, each
// with its bundled aggregations. Positions are returned bare; the API writes them as stream
// tokens, so /messages' and /sync's tokens work here too.
#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/ids.h"
#include "core/json.h"
#include "homeserver/timeline/aggregations.h"
#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/room_reader.h"
#include "storage/event_store.h"
#include "storage/position_store.h"
#include "storage/relation_store.h"

namespace myelin::homeserver {

struct RelationsQuery {
  std::optional<std::string> rel_type;
  std::optional<std::string> event_type;
  bool backwards = true;
  std::optional<storage::StreamPos> from;  // backwards: positions <= from; forwards: > from
  std::optional<storage::StreamPos> to;    // backwards: positions > to; forwards: <= to
  std::int64_t limit = 20;                 // clamped to 1..1000
  std::optional<bool> recurse;
};

struct RelationsPage {
  json::array chunk;
  std::optional<storage::StreamPos> next_batch;
  std::optional<storage::StreamPos> prev_batch;
  std::optional<int> recursion_depth;  // present when the request said `recurse`
};

struct ThreadsQuery {
  bool participated = false;               // include=participated
  std::optional<storage::StreamPos> from;  // threads whose latest reply is at or before
  std::int64_t limit = 20;                 // clamped to 1..100
};

struct ThreadsPage {
  json::array chunk;
  std::optional<storage::StreamPos> next_batch;
};

class RelationReader {
 public:
  RelationReader(RoomCache& rooms, storage::EventStore& store, storage::RelationStore& relations,
                 storage::PositionStore& positions, Aggregations& aggregations)
      : rooms_(rooms), store_(store), relations_(relations), positions_(positions), aggregations_(aggregations) {}

  // How far `recurse` follows relations (the spec asks for at least 3).
  static constexpr int kRecursionDepth = 3;

  // M_FORBIDDEN when the reader may read none of the room; M_NOT_FOUND when the parent is not
  // an event of the room they may see.
  core::Result<RelationsPage> relations(const Reader& reader, const core::RoomId& room_id,
                                        const core::EventId& parent_id, const RelationsQuery& query);
  // The room's thread roots the reader may see, newest activity first. M_FORBIDDEN as above.
  core::Result<ThreadsPage> threads(const Reader& reader, const core::RoomId& room_id, const ThreadsQuery& query);

 private:
  RoomCache& rooms_;
  storage::EventStore& store_;
  storage::RelationStore& relations_;
  storage::PositionStore& positions_;
  Aggregations& aggregations_;
};

}  // namespace myelin::homeserver
