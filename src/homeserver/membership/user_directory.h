#pragma once
// The user directory (client-server-api "User directory"). Privacy: it holds only users who
// share a joined room with the searcher (never the whole user list), matched
// case-insensitively on user ID and on the display name they show in that room.
#include <cstdint>
#include <string>

#include "core/json.h"
#include "homeserver/timeline/room_cache.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

struct DirectoryResults {
  json::array results;  // {user_id, display_name?, avatar_url?}, by user ID
  bool limited = false;
};

class UserDirectory {
 public:
  UserDirectory(RoomCache& rooms, storage::EventStore& store) : rooms_(rooms), store_(store) {}

  // At most `limit` (clamped to 1..100) users matching `term`, the searcher excluded.
  DirectoryResults search(const std::string& user_id, const std::string& term, std::int64_t limit);

 private:
  RoomCache& rooms_;
  storage::EventStore& store_;
};

}  // namespace myelin::homeserver
