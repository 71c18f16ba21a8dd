#pragma once
// The storage interface: everything the homeserver persists, as domain operations rather than
// SQL, so that a PostgreSQL implementation (or a fault-injecting one) can slot in without
// touching the layers above. open_sqlite_store() returns the embedded default.
//
// Contract for every implementation:
// - Each call is atomic: it either happens entirely or not at all (one database transaction).
// - A call that returned has been handed to the OS (kill -9 of the process loses nothing that
//   was acknowledged); with `durability: full` it is also fsync'ed.
// - One stream of positions orders everything a /sync can report (events, account data,
//   receipts, typing, device lists): each write that a sync must see takes the next position.
// - Not thread-safe: the homeserver calls it from its single event-loop thread.
// - Failures other than "not found" are bugs or disk problems: they throw StorageError, which
//   the API layer answers with 500 and the write is rolled back.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace myelin::storage {

using StreamPos = std::int64_t;

struct StorageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct UserRecord {
  std::string user_id;
  std::string password_hash;  // argon2id string, empty = no password login
  bool admin = false;
  bool deactivated = false;
  std::int64_t created_ts = 0;
  std::string displayname;    // empty = unset
  std::string avatar_url;     // empty = unset
};

struct DeviceRecord {
  std::string user_id;
  std::string device_id;
  std::string display_name;
  std::int64_t last_seen_ts = 0;
  std::string last_seen_ip;   // already truncated by the caller (privacy)
};

struct TokenOwner {
  std::string user_id;
  std::string device_id;
};

struct RegistrationToken {
  std::string token;
  std::optional<std::int64_t> uses_allowed;  // nullopt = unlimited
  std::int64_t pending = 0;
  std::int64_t completed = 0;
  std::optional<std::int64_t> expiry_time;   // ms since epoch
};

struct RoomRecord {
  std::string room_id;
  std::string version;
  std::string creator;
  bool published = false;     // listed in the local room directory
};

using StateKey = std::pair<std::string, std::string>;   // (type, state_key)
using StateMap = std::map<StateKey, std::string>;       // -> event_id

struct StoredEvent {
  StreamPos pos = 0;
  std::string event_id;
  std::string room_id;
  std::string type;
  std::optional<std::string> state_key;
  std::string sender;
  std::int64_t depth = 0;
  std::int64_t origin_server_ts = 0;
  std::string json;                       // the PDU as stored (redacted once redacted)
  std::optional<std::string> redacted_by; // event_id of the redaction
  std::optional<std::string> replaces_state;  // previous event for (type, state_key), if any
  std::int64_t state_group = 0;           // state after this event
  std::string txn_device;                 // sender's device and txn id when sent by a client
  std::string txn_id;
};

struct Transaction {
  std::string user_id, device_id, txn_id;
};

inline constexpr std::int64_t kStateGroupOfPrevious = -1;

struct NewEvent {
  std::string event_id;
  std::string room_id;
  std::string type;
  std::optional<std::string> state_key;
  std::string sender;
  std::int64_t depth = 0;
  std::int64_t origin_server_ts = 0;
  std::string json;                       // canonical PDU text
  std::vector<std::string> prev_events;   // these stop being forward extremities
  // State before the event (0 = empty state, for m.room.create). In a batch,
  // kStateGroupOfPrevious means "the state after the previous event of the batch".
  std::int64_t state_group_before = 0;
  std::optional<Transaction> txn;         // client transaction, for idempotent sends
  // For m.room.redaction: the target (in the same room) and its redacted PDU text, which
  // replaces the stored text (the content is erased, not hidden).
  std::optional<std::pair<std::string, std::string>> redaction;
};

struct Persisted {
  StreamPos pos;
  std::int64_t state_group;  // state after the event
};

struct Membership {
  std::string room_id;
  std::string user_id;
  std::string membership;    // join, invite, leave, ban, knock
  std::string event_id;
  StreamPos pos = 0;         // position of the membership event
};

struct AccountDataEntry {
  std::string room_id;       // empty = global
  std::string type;
  std::string content;       // JSON text
  StreamPos pos = 0;
};

struct Receipt {
  std::string room_id;
  std::string receipt_type;  // m.read, m.read.private, m.fully_read is account data
  std::string user_id;
  std::string thread_id;     // empty = unthreaded
  std::string event_id;
  std::int64_t ts = 0;
  StreamPos pos = 0;
};

struct Extremity {
  std::string event_id;
  std::int64_t depth = 0;
};

struct Report {
  std::string room_id, event_id, reporter, reason;
  std::optional<std::int64_t> score;
  std::int64_t ts = 0;
};

enum class Direction { kForward, kBackward };

class Store {
 public:
  virtual ~Store() = default;

  // --- positions ---
  virtual StreamPos current_pos() = 0;
  // Takes and persists the next position for something held only in memory (typing).
  virtual StreamPos allocate_pos() = 0;

  // --- users, devices, tokens ---
  virtual bool create_user(const UserRecord& user) = 0;   // false if the ID is taken
  virtual std::optional<UserRecord> user(const std::string& user_id) = 0;
  virtual void set_password_hash(const std::string& user_id, const std::string& hash) = 0;
  virtual void set_deactivated(const std::string& user_id) = 0;  // also erases profile
  virtual void set_displayname(const std::string& user_id, const std::string& name) = 0;
  virtual void set_avatar_url(const std::string& user_id, const std::string& url) = 0;

  virtual void upsert_device(const DeviceRecord& device) = 0;  // keeps the name if empty
  virtual std::optional<DeviceRecord> device(const std::string& user_id,
                                             const std::string& device_id) = 0;
  virtual std::vector<DeviceRecord> devices(const std::string& user_id) = 0;
  virtual void rename_device(const std::string& user_id, const std::string& device_id,
                             const std::string& name) = 0;
  // Deletes the device with its access tokens and transaction IDs.
  virtual void delete_device(const std::string& user_id, const std::string& device_id) = 0;
  virtual void record_client_ip(const std::string& user_id, const std::string& device_id,
                                const std::string& truncated_ip, std::int64_t ts) = 0;
  virtual void purge_client_ips(std::int64_t older_than_ts) = 0;

  virtual void add_access_token(const std::string& digest, const TokenOwner& owner) = 0;
  virtual std::optional<TokenOwner> token_owner(const std::string& digest) = 0;
  virtual void delete_access_token(const std::string& digest) = 0;

  virtual void add_registration_token(const RegistrationToken& token) = 0;
  virtual std::vector<RegistrationToken> registration_tokens() = 0;
  virtual std::optional<RegistrationToken> registration_token(const std::string& token) = 0;
  virtual bool delete_registration_token(const std::string& token) = 0;
  // Atomically checks validity (exists, not expired at now_ms, completed < uses_allowed) and
  // counts one completed use. False when not valid.
  virtual bool use_registration_token(const std::string& token, std::int64_t now_ms) = 0;

  // --- rooms and events ---
  // Persists a batch atomically: optionally the new room, then each event in order (state
  // groups, current state, memberships, forward extremities, txn ID, redactions).
  virtual std::vector<Persisted> persist_events(const std::vector<NewEvent>& events,
                                                const std::optional<RoomRecord>& new_room) = 0;
  virtual std::optional<RoomRecord> room(const std::string& room_id) = 0;
  virtual void set_room_published(const std::string& room_id, bool published) = 0;
  virtual std::vector<std::string> published_rooms() = 0;

  virtual std::optional<StoredEvent> event(const std::string& event_id) = 0;
  virtual std::vector<StoredEvent> events(const std::vector<std::string>& event_ids) = 0;
  // Events of a room with lower < pos <= upper, at most `limit`, nearest `from` first:
  // kBackward = newest first (starting at upper), kForward = oldest first (starting at lower).
  virtual std::vector<StoredEvent> room_events(const std::string& room_id, StreamPos lower,
                                               StreamPos upper, std::size_t limit,
                                               Direction dir) = 0;
  virtual std::optional<std::string> txn_event(const Transaction& txn) = 0;

  virtual StateMap state_group(std::int64_t group) = 0;
  virtual StateMap current_state(const std::string& room_id) = 0;
  virtual std::vector<Extremity> forward_extremities(const std::string& room_id) = 0;

  // Current membership of the user in every room they have a membership event in.
  virtual std::vector<Membership> user_memberships(const std::string& user_id) = 0;
  virtual std::vector<Membership> room_members(const std::string& room_id) = 0;
  virtual void forget_room(const std::string& user_id, const std::string& room_id) = 0;
  virtual bool is_forgotten(const std::string& user_id, const std::string& room_id) = 0;

  // --- aliases, reports ---
  virtual bool create_alias(const std::string& alias, const std::string& room_id,
                            const std::string& creator) = 0;  // false if taken
  virtual std::optional<std::string> alias_room(const std::string& alias) = 0;
  virtual std::optional<std::string> alias_creator(const std::string& alias) = 0;
  virtual bool delete_alias(const std::string& alias) = 0;
  virtual std::vector<std::string> room_aliases(const std::string& room_id) = 0;
  virtual void add_report(const Report& report) = 0;
  virtual std::vector<Report> reports() = 0;   // oldest first

  // --- per-user data for sync ---
  virtual StreamPos set_account_data(const std::string& user_id, const std::string& room_id,
                                     const std::string& type, const std::string& content) = 0;
  virtual std::optional<std::string> account_data(const std::string& user_id,
                                                  const std::string& room_id,
                                                  const std::string& type) = 0;
  // Entries with pos > since (all when since = 0), latest value per (room, type).
  virtual std::vector<AccountDataEntry> account_data_since(const std::string& user_id,
                                                           StreamPos since) = 0;

  // Replaces the user's receipt of that (room, type, thread) and returns its position.
  virtual StreamPos set_receipt(const Receipt& receipt) = 0;
  // Receipts of the room with pos > since.
  virtual std::vector<Receipt> receipts_since(const std::string& room_id, StreamPos since) = 0;
  virtual std::optional<Receipt> user_receipt(const std::string& room_id,
                                              const std::string& user_id,
                                              const std::string& receipt_type) = 0;

  virtual std::int64_t add_filter(const std::string& user_id, const std::string& json) = 0;
  virtual std::optional<std::string> filter(const std::string& user_id, std::int64_t id) = 0;
};

struct SqliteOptions {
  std::string path;          // database file; ":memory:" for tests
  bool fsync_every_commit = false;  // synchronous=FULL instead of NORMAL (WAL)
};

// Opens (creating if needed) and migrates the database. Throws StorageError when the file
// cannot be opened or its schema is newer than this binary.
std::unique_ptr<Store> open_sqlite_store(const SqliteOptions& options);

}  // namespace myelin::storage
