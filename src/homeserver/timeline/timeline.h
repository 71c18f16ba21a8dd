#pragma once
// The path of a locally sent event: build the PDU on top of the room's current state (auth
// events, prev events, depth), check the room version's authorization rules, hash and sign
// it, persist it (with its state group) in one store call, update the room cache and wake the
// syncs of everyone who should see it. Also loads rooms into the cache on first use.
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/crypto.h"
#include "core/error.h"
#include "core/json.h"
#include "homeserver/timeline/options.h"
#include "homeserver/timeline/notifier.h"
#include "homeserver/timeline/room_state.h"
#include "storage/account_store.h"
#include "storage/event_store.h"

namespace myelin::homeserver {

struct EventDraft {
  std::string sender;
  std::string type;
  std::optional<std::string> state_key;
  json::object content;
  std::string redacts;   // m.room.redaction: the target event ID
  std::int64_t origin_server_ts = 0;   // 0 = now
};

struct Sent {
  std::string event_id;
  storage::StreamPos pos = 0;
};

// An event built and authorised against a room state but not yet persisted.
struct BuiltEvent {
  json::object pdu;
  storage::NewEvent row;
};

inline constexpr std::size_t kMaxPduBytes = 65536;

class Timeline {
 public:
  Timeline(const TimelineOptions& config, storage::EventStore& store, storage::AccountStore& account_store,
           const core::SigningKey& key, Notifier& notifier);

  // Sends one event as draft.sender. With a transaction, a retransmission (same device,
  // endpoint and transaction ID) returns the first event instead of sending again. M_NOT_FOUND for an unknown room,
  // M_FORBIDDEN when the auth rules refuse, M_TOO_LARGE over 65,536 bytes. An event that
  // changes the room's m.room.guest_access (a new one, or a redaction of the current one) so
  // that guests may no longer join makes every local guest joined or invited leave
  // (client-server-api "Guest Access", server behaviour).
  core::Result<Sent> send(const std::string& room_id, EventDraft draft,
                          const std::optional<storage::Transaction>& txn = std::nullopt);

  // Builds, authorises and signs `draft` on top of `room` without persisting it.
  core::Result<BuiltEvent> build(const RoomState& room, const EventDraft& draft) const;
  // Makes `room` reflect a built event once persisted.
  void apply(RoomState& room, const BuiltEvent& event, const storage::Persisted& at) const;
  // Persists a new room and its first events atomically, then caches and announces it.
  core::Status persist_new_room(std::unique_ptr<RoomState> room,
                                std::vector<BuiltEvent> events,
                                const storage::RoomRecord& record);

  // The cached room, loaded from the store on first use; nullptr when unknown.
  RoomState* room(const std::string& room_id);
  // The user and everyone joined to a room the user is joined to.
  std::set<std::string> peers(const std::string& user_id);


 private:
  void announce(const RoomState& room, const BuiltEvent& event);
  // Whether `row`, applied to `room`, set or redacted its current m.room.guest_access.
  static bool changes_guest_access(const RoomState& room, const storage::NewEvent& row);
  void remove_guests_unless_allowed(RoomState& room);

  const TimelineOptions& config_;
  storage::EventStore& store_;
  storage::AccountStore& account_store_;
  const core::SigningKey& key_;
  Notifier& notifier_;
  std::unordered_map<std::string, std::unique_ptr<RoomState>> rooms_;
};

}  // namespace myelin::homeserver
