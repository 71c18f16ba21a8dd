#pragma once
// Typing notifications (client-server-api "Typing Notifications"): in memory only, each with
// an expiry timer; every change takes a stream position so /sync can tell what is new.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/ids.h"
#include "homeserver/timeline/notifier.h"
#include "homeserver/timeline/room_cache.h"
#include "http/http.h"
#include "storage/position_store.h"

namespace myelin::homeserver {

class Typing {
 public:
  Typing(storage::PositionStore& store, RoomCache& rooms, Notifier& notifier, http::Scheduler& scheduler)
      : store_(store), room_cache_(rooms), notifier_(notifier), scheduler_(scheduler) {}

  // timeout_ms is capped at two minutes.
  void set(const core::RoomId& room_id, const core::UserId& user_id, bool typing, std::int64_t timeout_ms);
  std::vector<std::string> users(const std::string& room_id) const;
  // Position of the room's last typing change, 0 if none.
  storage::StreamPos changed_at(const std::string& room_id) const;

 private:
  struct Room {
    std::map<std::string, std::unique_ptr<http::Timer>> typists;
    storage::StreamPos changed_at = 0;
  };
  void changed(const std::string& room_id, Room& room);
  storage::PositionStore& store_;
  RoomCache& room_cache_;
  Notifier& notifier_;
  http::Scheduler& scheduler_;
  std::map<std::string, Room> rooms_;
};

}  // namespace myelin::homeserver
