#pragma once
// GET /rooms/{roomId}/hierarchy (client-server-api "Spaces", "Discovering rooms within
// spaces"): the space tree under a room, walked depth first through the m.space.child state
// of space-rooms (children with a valid `via` only, in the spec's order), each room the
// caller may preview (timeline/room_directory.h, may_preview) as its RoomSummary with its
// children_state. Rooms the caller may not preview are left out, and so is what lies under
// them.
//
// Only rooms this server has the state of are walked: a child on another server is skipped,
// as federation (GET /_matrix/federation/v1/hierarchy) has not landed yet.
//
// Pagination keeps nothing on the server: a `from` token is the number of rooms already
// given, with the max_depth and suggested_only of the first request, and each page walks the
// tree again from the root up to the end of the page. The walk is deterministic for a given
// state, so tokens are stable while the tree does not change. It is bounded: a walk looks at
// kMaxRooms rooms at most (a loop is broken by never visiting a room twice), a space gives
// kMaxChildren children at most, and depth is capped at kMaxDepth.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/ids.h"
#include "core/json.h"
#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/room_state.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

// One m.space.child link of a space, as the hierarchy orders it.
struct SpaceChild {
  std::string room_id;                // the state key
  std::optional<std::string> order;   // a valid `order` only (see valid_space_order)
  std::int64_t origin_server_ts = 0;  // of the m.space.child event
  const json::object* pdu = nullptr;  // the m.space.child event, owned by the room's state
};

// Whether `order` may order children: 1..50 characters, all within \x20..\x7E.
bool valid_space_order(std::string_view order);
// The children of `space` in the spec's order ("Ordering of children within a space"):
// those with a valid `order` first, by it (code point order), then by their event's
// origin_server_ts, then by room ID. Only links whose `via` is a non-empty list of strings
// count; with `suggested_only`, only those with "suggested": true. At most kMaxChildren.
std::vector<SpaceChild> space_children(const RoomState& space, bool suggested_only);

struct HierarchyQuery {
  static constexpr std::int64_t kDefaultLimit = 50;
  static constexpr std::int64_t kMaxLimit = 100;
  static constexpr std::int64_t kMaxDepth = 20;
  std::int64_t limit = kDefaultLimit;
  std::int64_t max_depth = kMaxDepth;
  bool suggested_only = false;
  std::size_t offset = 0;

  // M_INVALID_PARAM unless positive; capped at kMaxLimit.
  core::Status set_limit(std::int64_t value);
  // M_INVALID_PARAM when negative; capped at kMaxDepth.
  core::Status set_max_depth(std::int64_t value);
  // A next_batch token of an earlier page: M_INVALID_PARAM when it is not one, or when it was
  // given for another max_depth or suggested_only (call after setting those).
  core::Status set_from(std::string_view token);
};

class SpaceHierarchy {
 public:
  static constexpr std::size_t kMaxRooms = 1000;
  static constexpr std::size_t kMaxChildren = 100;

  SpaceHierarchy(RoomCache& rooms, storage::EventStore& store) : rooms_(rooms), store_(store) {}

  // {rooms, next_batch?}. M_FORBIDDEN when the caller may not preview the root (or it is
  // not known here).
  core::Result<json::object> hierarchy(const core::UserId& user_id, const core::RoomId& root,
                                       const HierarchyQuery& query);

 private:
  RoomCache& rooms_;
  storage::EventStore& store_;
};

}  // namespace myelin::homeserver
