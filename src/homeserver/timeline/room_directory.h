#pragma once
// This server's room directory: room aliases (client-server-api "Room aliases"; at most
// TimelineOptions::aliases_per_user created by one user), the published room list ("Published room
// directory", GET/POST /publicRooms) and room summaries ("Room Summaries"). It lives with the
// timeline because everything it answers is read from the room cache and the one change it
// makes to a room (a deleted alias leaving m.room.canonical_alias) is a sent event; room
// creation, joins by alias and the canonical-alias check of sent events all sit above it.
// No federation yet: aliases and the directory are this server's only.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/ids.h"
#include "core/json.h"
#include "homeserver/timeline/options.h"
#include "homeserver/timeline/timeline.h"
#include "storage/event_store.h"
#include "storage/room_directory_store.h"

namespace myelin::homeserver {

// The alias, checked against the grammar (appendices "Room Aliases"): M_INVALID_PARAM for an
// empty localpart or one with white space or control characters.
core::Result<core::RoomAlias> parse_room_alias(const std::string& text);

// The spec's RoomSummary of a room (client-server-api "Room Summaries"; the chunk of GET
// /publicRooms with room_version, encryption and allowed_room_ids), also each room of GET
// /hierarchy.
json::object room_summary_fields(const RoomState& room);

// The rooms a caller is joined to, read from the store once, when first needed (by the
// restricted rooms of a summary or a space hierarchy).
class JoinedRooms {
 public:
  JoinedRooms(storage::EventStore& store, std::string user_id) : store_(store), user_id_(std::move(user_id)) {}
  // Whether the caller is joined to one of `room_ids`.
  bool any_of(const std::vector<std::string>& room_ids);

 private:
  storage::EventStore& store_;
  std::string user_id_;
  std::optional<std::set<std::string>> joined_;
};

// Who may preview a room (its summary, or its place in a space hierarchy): anyone when it
// can be joined or knocked on by anyone or is world_readable; otherwise its joined, invited
// and knocking members and, in a restricted room, whoever could join it through a room of its
// allow list. `joined` is nullptr for an anonymous caller, whose `membership` is "".
bool may_preview(const RoomState& room, std::string_view membership, JoinedRooms* joined);

// A page of the published room list: at most `limit` rooms from `offset` (the "o<offset>"
// since token), those matching `search` (set_search; in name, topic or canonical alias) and,
// when given and not empty, `room_types` (null for rooms without a type).
struct DirectoryQuery {
  static constexpr std::int64_t kDefaultLimit = 100;
  static constexpr std::int64_t kMaxLimit = 1000;
  std::int64_t limit = kDefaultLimit;
  std::size_t offset = 0;
  std::string search;
  std::optional<std::vector<std::optional<std::string>>> room_types;

  // M_INVALID_PARAM for a negative limit; larger ones are capped at kMaxLimit.
  core::Status set_limit(std::int64_t value);
  // M_INVALID_PARAM unless `token` is a since token this server gave.
  core::Status set_since(std::string_view token);
  // The generic_search_term, matched without regard to case.
  void set_search(std::string_view term);
};

class RoomDirectory {
 public:
  RoomDirectory(const TimelineOptions& config, storage::RoomDirectoryStore& store, storage::EventStore& event_store,
                Timeline& timeline)
      : config_(config), store_(store), event_store_(event_store), timeline_(timeline) {}

  // An alias to create here: parse_room_alias, and M_INVALID_PARAM for another server's.
  core::Result<core::RoomAlias> parse_local_alias(const std::string& text) const;
  // PUT /directory/room/{alias} by `user_id` (an admin may name any room, others only one they
  // are joined to): M_NOT_FOUND for an unknown room, M_FORBIDDEN, 409 M_UNKNOWN when taken.
  core::Status create_alias(const std::string& alias, const core::RoomId& room_id, const core::UserId& user_id,
                            bool admin);
  // GET /directory/room/{alias}: {room_id, servers}; M_NOT_FOUND for an unknown alias.
  core::Result<json::object> resolve_alias(const std::string& alias);
  // DELETE /directory/room/{alias}: its creator, an admin or who may change the room's
  // m.room.canonical_alias may; the alias also leaves that event's content.
  core::Status delete_alias(const std::string& alias, const core::UserId& user_id, bool admin);
  // GET /rooms/{roomId}/aliases ({"aliases"}): for members, admins, and anyone in a
  // world_readable room; M_FORBIDDEN otherwise.
  core::Result<json::object> room_aliases(const core::RoomId& room_id, const core::UserId& user_id, bool admin);

  // GET /directory/list/room/{roomId}: {"visibility"}; M_NOT_FOUND for an unknown room.
  core::Result<json::object> visibility(const core::RoomId& room_id);
  // PUT /directory/list/room/{roomId}: for admins and who may change m.room.canonical_alias.
  core::Status set_visibility(const core::RoomId& room_id, bool published, const core::UserId& user_id, bool admin);

  // Whether the `server` parameter of /publicRooms names this directory (absent, or this
  // server's name); another server's goes through federation (RemoteDirectory).
  bool is_local_directory(const std::optional<std::string>& server) const {
    return !server || *server == config_.server_name;
  }
  // /publicRooms: {chunk, total_room_count_estimate, next_batch?, prev_batch?}, largest rooms
  // first.
  json::object public_rooms(const DirectoryQuery& query);

  // GET /room_summary/{roomIdOrAlias} for `user_id` (nullopt: an anonymous caller):
  // M_NOT_FOUND for a room the caller may not see (or that does not exist).
  core::Result<json::object> summary(const std::string& room_id_or_alias, const std::optional<std::string>& user_id);

 private:
  void forget_canonical_alias(const std::string& user_id, const core::RoomId& room_id, const std::string& alias);

  const TimelineOptions& config_;
  storage::RoomDirectoryStore& store_;
  storage::EventStore& event_store_;
  Timeline& timeline_;
};

}  // namespace myelin::homeserver
