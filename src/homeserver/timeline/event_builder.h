#pragma once
// The local event builder: turns a draft into a PDU on top of a room's current state —
// prev_events (all the room's forward extremities), depth, auth_events from the room version's
// auth types — checks its numbers and the authorization rules against that state, works out
// what a redaction erases, hashes it, gives it its event ID and refuses it over 65,536 bytes
// once signed. It is left unsigned: the server signs its events when they leave for another
// server (rooms::sign_own_event). Builds only: nothing is persisted or changed (that is the
// write path's job).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "core/crypto.h"
#include "core/error.h"
#include "core/json.h"
#include "homeserver/timeline/options.h"
#include "homeserver/timeline/room_state.h"
#include "rooms/event_format.h"
#include "storage/event_store.h"
#include "storage/relation_store.h"

namespace myelin::homeserver {

struct EventDraft {
  std::string sender;
  std::string type;
  std::optional<std::string> state_key;
  json::object content;
  std::string redacts;                // m.room.redaction: the target event ID
  std::int64_t origin_server_ts = 0;  // 0 = now
};

// An event built and authorised against a room state but not yet persisted: its PDU and the
// row the store persists (state_group_before = that room state's group).
struct BuiltEvent {
  json::object pdu;
  storage::NewEvent row;
};

class EventBuilder {
 public:
  EventBuilder(const TimelineOptions& config, storage::EventStore& store, storage::RelationStore& relations,
               const core::SigningKey& key)
      : config_(config),
        store_(store),
        relations_(relations),
        signature_bytes_(rooms::signature_bytes(config.server_name, key.key_id())) {}

  // M_FORBIDDEN when the auth rules (or, for a redaction, the power levels) refuse,
  // M_INVALID_PARAM for a redaction of another room's event, M_TOO_LARGE over 65,536 bytes,
  // and the refusals of relation_of_local_event (homeserver/timeline/relations.h). Reads the
  // store only for a redaction's target and a relation's parent.
  core::Result<BuiltEvent> build(const RoomState& room, const EventDraft& draft) const;

  // Sets prev_events (every forward extremity of `room`), depth (one more than the deepest) and
  // auth_events (the version's auth types for the PDU's type, state_key, sender and content)
  // on `pdu`; returns the depth. Also what a make_join template gets (federation/joins.h).
  core::Result<std::int64_t> add_graph_fields(json::object& pdu, const RoomState& room) const;

 private:
  // How the new event names `event_id` in prev_events (v1/v2: with its reference hash, read
  // from the store or, for a room being created, from `room`'s state).
  core::Result<json::value> reference_to(const RoomState& room, const std::string& event_id) const;
  // The redacted text of draft.redacts when the sender may redact it (nullopt when unknown here).
  core::Result<std::optional<std::pair<std::string, std::string>>> redaction_of(const RoomState& room,
                                                                                const EventDraft& draft) const;

  const TimelineOptions& config_;
  storage::EventStore& store_;
  storage::RelationStore& relations_;
  const std::size_t signature_bytes_;  // what the signature will add to the size
};

}  // namespace myelin::homeserver
