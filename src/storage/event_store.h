#pragma once
// Rooms and their events (storage/store.h has the contract): the batch write of new events
// (state groups, current state, memberships, forward extremities, transaction IDs,
// redactions), outliers (events known but not in the timeline), reads of events by ID and by
// position, state, memberships and the state values the history visibility rules read.
//
// Timeline order is position order. Events written here (persist_events) take the next
// positions of the one stream (1, 2, ...). Older history fetched from other servers
// (persist_history, federation's backfill) goes *below* everything stored: each batch takes the
// positions under the lowest position any room uses (-1, -2, ...), its oldest event lowest, so a
// room's backfilled events sit before its earliest event and before earlier batches' events,
// and the same "positions between lower and upper" reads and tokens page through both. 0 stays
// "no place in the timeline" (an outlier). Negative positions are never in the stream, so
// /sync, which reads after a position it reported, never sees them as new.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/ids.h"
#include "storage/common.h"

namespace myelin::storage {

struct RoomRecord {
  std::string room_id;
  std::string version;
  std::string creator;
  bool published = false;  // listed in the local room directory
};

using StateKey = std::pair<std::string, std::string>;  // (type, state_key)
using StateMap = std::map<StateKey, std::string>;      // -> event_id

struct StoredEvent {
  StreamPos pos = 0;  // 0 for an outlier (no place in the timeline)
  std::string event_id;
  std::string room_id;
  std::string type;
  std::optional<std::string> state_key;
  std::string sender;
  std::int64_t depth = 0;
  std::int64_t origin_server_ts = 0;
  std::string json;                           // the PDU as stored (redacted once redacted)
  std::optional<std::string> redacted_by;     // event_id of the redaction
  std::optional<std::string> replaces_state;  // previous event for (type, state_key), if any
  std::int64_t state_group = 0;               // state after this event
  std::string txn_device;                     // sender's device and txn id when sent by a client
  std::string txn_id;
};

inline constexpr std::int64_t kStateGroupOfPrevious = -1;

// A valid relation of a new event to an earlier event of its room (client-server-api "Forming
// relationships between events"), as the entrance that built the event judged it
// (homeserver/timeline/relations.h); the store records it (storage/relation_store.h).
struct NewRelation {
  std::string parent_id;
  std::string rel_type;
  std::string key;          // an m.annotation's key, else ""
  bool aggregated = false;  // counts in the parent's bundled aggregation (the rel_type's rules hold)
  std::string thread_id;    // the thread root the event is in ("" = the main timeline)
  int thread_hops = 0;      // relations from the event to its thread root (0 in the main timeline)
  std::string root_sender;  // m.thread: the sender of the thread root
};

// What the search index keeps of a new event (homeserver/timeline/search_text.h).
struct SearchText {
  std::string column;  // body, name or topic
  std::string text;
};

struct NewEvent {
  std::string event_id;
  std::string room_id;
  std::string type;
  std::optional<std::string> state_key;
  std::string sender;
  std::int64_t depth = 0;
  std::int64_t origin_server_ts = 0;
  std::string json;                      // canonical PDU text
  std::vector<std::string> prev_events;  // these stop being forward extremities
  // State before the event (0 = empty state, for m.room.create). In a batch,
  // kStateGroupOfPrevious means "the state after the previous event of the batch".
  std::int64_t state_group_before = 0;
  std::optional<Transaction> txn;  // client transaction, for idempotent sends
  // For m.room.redaction: the target (in the same room) and its redacted PDU text, which
  // replaces the stored text (the content is erased, not hidden).
  std::optional<std::pair<std::string, std::string>> redaction;
  std::optional<NewRelation> relation;    // content.m.relates_to, when valid
  std::optional<SearchText> search_text;  // none in an encrypted room
  // The state before the event, given outright (a remote join's state from send_join, the
  // resolved state before an event whose prev_events fork): the store writes it as a snapshot
  // state group and ignores state_group_before.
  std::optional<StateMap> state_before;
  // When set, the room's current state after the event is exactly this map (resolved by the
  // writer; a remote join's is state_before plus the join) instead of the current state with
  // the event applied: current_state, memberships and the visibility value changes follow
  // every key whose event changed (read from the events' JSON, outliers included; a change
  // takes effect at this event's position).
  std::optional<StateMap> current_state;
};

// An event known but not part of the room's timeline (the state and auth chain a send_join
// answer carries, auth events fetched for a check): kept by ID, with no stream position.
struct NewOutlier {
  std::string event_id;
  std::string room_id;
  std::string type;
  std::optional<std::string> state_key;
  std::string sender;
  std::int64_t depth = 0;
  std::int64_t origin_server_ts = 0;
  std::string json;  // canonical PDU text (redacted when its content hash did not match)
};

// A batch of a room's history older than its earliest timeline event (persist_history): the
// events, oldest first, and the room's history_visibility before the oldest of them, as far
// as the caller knows it.
struct HistoryBatch {
  std::string room_id;
  std::vector<NewOutlier> events;  // oldest first; their fields as for an outlier
  std::string visibility_before;   // an m.room.history_visibility value ("joined" when not known)
};

struct Persisted {
  StreamPos pos;
  std::int64_t state_group;  // state after the event
};

struct Membership {
  std::string room_id;
  std::string user_id;
  std::string membership;  // join, invite, leave, ban, knock
  std::string event_id;
  StreamPos pos = 0;  // position of the membership event
};

// A value that the history visibility rules read (the membership of an m.room.member event,
// the history_visibility of the room's m.room.history_visibility) taking effect at `pos`.
struct StateValueChange {
  StreamPos pos = 0;
  std::string value;
};

struct Extremity {
  std::string event_id;
  std::int64_t depth = 0;
};

enum class Direction { kForward, kBackward };

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Persists a batch atomically: optionally the new room, then each event in order (state
  // groups, current state, memberships, forward extremities, txn ID, redactions).
  virtual std::vector<Persisted> persist_events(const std::vector<NewEvent>& events,
                                                const std::optional<RoomRecord>& new_room) = 0;
  virtual std::optional<RoomRecord> room(const core::RoomId& room_id) = 0;
  // Stores outliers in one transaction. Idempotent: an event already stored (as an outlier or
  // in the timeline) stays as it is. A timeline event persisted later with the same ID
  // replaces its outlier.
  virtual void persist_outliers(const std::vector<NewOutlier>& outliers) = 0;

  // Writes a batch of older history below every stored position (see the top of this file),
  // one transaction: events already in the timeline are skipped, outliers move into the
  // timeline. Each event's state group is 0 (its state is not known here) and nothing current
  // changes (state, memberships, forward extremities, the stream position, the search index,
  // relations). The history visibility rules see the batch: its member and
  // history_visibility events are value changes at their positions, and `visibility_before`
  // is the room's history_visibility just below the oldest (replacing what an earlier batch
  // recorded there). Returns the positions given, oldest first.
  virtual std::vector<StreamPos> persist_history(const HistoryBatch& batch) = 0;

  // By ID, timeline events and outliers alike (an outlier's pos and state_group are 0).
  virtual std::optional<StoredEvent> event(const std::string& event_id) = 0;
  virtual std::vector<StoredEvent> events(const std::vector<std::string>& event_ids) = 0;
  // Timeline events (never outliers) of a room with lower < pos <= upper, at most `limit`, nearest `from` first:
  // kBackward = newest first (starting at upper), kForward = oldest first (starting at lower).
  virtual std::vector<StoredEvent> room_events(const std::string& room_id, StreamPos lower, StreamPos upper,
                                               std::size_t limit, Direction dir) = 0;
  // The event of a transaction recorded today or yesterday (UTC), so at least a day ago.
  virtual std::optional<std::string> txn_event(const Transaction& txn) = 0;
  // Forgets the transactions (of every endpoint) of the UTC days that ended before
  // `older_than_ts` (ms since the epoch).
  virtual void purge_transactions(std::int64_t older_than_ts) = 0;

  virtual StateMap state_group(std::int64_t group) = 0;
  virtual StateMap current_state(const std::string& room_id) = 0;
  virtual std::vector<Extremity> forward_extremities(const std::string& room_id) = 0;

  // Current membership of the user in every room they have a membership event in.
  virtual std::vector<Membership> user_memberships(const std::string& user_id) = 0;
  virtual std::vector<Membership> room_members(const core::RoomId& room_id) = 0;
  // The changes of the room's history_visibility (state_key "") or of a user's membership
  // (state_key their user ID), oldest first: only the events that changed the value, so a
  // profile change (join after join) adds nothing. One indexed read.
  virtual std::vector<StateValueChange> history_visibility_changes(const std::string& room_id) = 0;
  virtual std::vector<StateValueChange> membership_changes(const std::string& room_id, const std::string& user_id) = 0;
  virtual void forget_room(const core::UserId& user_id, const core::RoomId& room_id) = 0;
  virtual bool is_forgotten(const std::string& user_id, const std::string& room_id) = 0;
};

}  // namespace myelin::storage
