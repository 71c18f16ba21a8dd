#pragma once
// The local send path: an event a local user sends enters here — transaction-ID check
// (idempotent retransmission), the room from the cache, nothing sent for a state event
// re-sent unchanged, the PDU built and authorised on the room's current state (EventBuilder),
// then the one write path (persist → apply → announce, WritePath::write).
#include <optional>
#include <string>

#include "core/error.h"
#include "core/ids.h"
#include "homeserver/timeline/event_builder.h"
#include "homeserver/timeline/room_cache.h"
#include "homeserver/timeline/write_path.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

struct Sent {
  std::string event_id;
  storage::StreamPos pos = 0;
};

class Timeline {
 public:
  Timeline(storage::EventStore& store, RoomCache& rooms, const EventBuilder& builder, WritePath& write_path)
      : store_(store), rooms_(rooms), builder_(builder), write_path_(write_path) {}

  // Sends one event as draft.sender. With a transaction, a retransmission (same device,
  // endpoint and transaction ID) returns the first event instead of sending again.
  // M_FORBIDDEN for an unknown room or when the auth rules refuse, M_TOO_LARGE over 65,536
  // bytes (EventBuilder::build for the rest). What reacts to the event (waking syncs, guest
  // removal) is the write path's subscribers.
  core::Result<Sent> send(const core::RoomId& room_id, EventDraft draft,
                          const std::optional<storage::Transaction>& txn = std::nullopt);

  // Forgets transaction IDs recorded before yesterday (UTC): a client retries within minutes, and
  // a day also covers a phone that lost the answer and was offline overnight (hourly).
  void expire_transactions();

  // The cached room (RoomCache::room), for the services that send into it.
  std::shared_ptr<RoomState> room(const std::string& room_id) { return rooms_.room(room_id); }

 private:
  storage::EventStore& store_;
  RoomCache& rooms_;
  const EventBuilder& builder_;
  WritePath& write_path_;
};

}  // namespace myelin::homeserver
