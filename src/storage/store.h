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
  bool guest = false;         // a guest account (client-server-api "Guest Access")
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

// A client transaction (client-server-api "Transaction identifiers"): a request is a
// retransmission of an earlier one when it comes from the same device, to the same endpoint,
// with the same transaction ID.
struct Transaction {
  std::string user_id, device_id;
  // The request's path without the API prefix and the {txnId} segment, its parameters
  // decoded with '%' and '/' escaped again: "/rooms/!r:x/send/m.room.message".
  std::string endpoint;
  std::string txn_id;
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

// A value that the history visibility rules read (the membership of an m.room.member event,
// the history_visibility of the room's m.room.history_visibility) taking effect at `pos`.
struct StateValueChange {
  StreamPos pos = 0;
  std::string value;
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

// A report of an event (room_id and event_id), a room (room_id) or a user (user_id).
struct Report {
  std::string room_id, event_id, reporter, reason;
  std::optional<std::int64_t> score;
  std::int64_t ts = 0;
  std::string user_id = {};
};

// --- end-to-end encryption ---
struct OneTimeKey {
  std::string algorithm;     // signed_curve25519, ...
  std::string key_id;        // without the algorithm
  std::string json;          // the key object (or JSON string) as uploaded
};

struct KeyCounts {
  std::map<std::string, std::int64_t> one_time;   // algorithm -> keys left
  std::vector<std::string> unused_fallback;       // algorithms
  std::vector<std::string> fallback;              // algorithms with a fallback key, used or not
};

struct KeyUpload {
  std::optional<std::string> device_keys;   // canonical JSON of the device keys
  std::vector<OneTimeKey> one_time_keys;
  std::vector<OneTimeKey> fallback_keys;    // at most one per algorithm
};

// A signature uploaded through keys/signatures/upload, on a device (target_key = device ID)
// or cross-signing key (target_key = its public key).
struct KeySignature {
  std::string target_user, target_key, signer, signer_key, signature;
};

struct ToDeviceMessage {
  std::string user_id, device_id;   // recipient
  std::string sender, type, content;  // content: JSON text
  StreamPos pos = 0;
};

// The most a device's to-device inbox holds: messages, and bytes of their contents (0: no bound).
struct InboxLimits {
  std::int64_t messages = 0;
  std::int64_t bytes = 0;
};

struct BackupVersion {
  std::int64_t version = 0;
  std::string algorithm;
  std::string auth_data;     // JSON text
  std::int64_t etag = 0;     // changes with every change of its keys
};

struct BackupKey {
  std::string room_id, session_id;
  std::int64_t first_message_index = 0;
  std::int64_t forwarded_count = 0;
  bool is_verified = false;
  std::string session_data;  // JSON text
};

// --- media ---
struct MediaRecord {
  std::string media_id;
  std::string uploader;
  std::string sha256;          // hex digest of the content ("" while pending)
  std::int64_t size = 0;
  std::string content_type;
  std::string upload_name;     // the file name given at upload ("" when none)
  std::int64_t created_ts = 0;
  std::optional<std::int64_t> pending_until;   // created, not uploaded yet: the ID expires then
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
  // Deletes the device with its access tokens, transaction IDs, keys and to-device inbox (a
  // device-list change of the user).
  virtual void delete_device(const std::string& user_id, const std::string& device_id) = 0;
  virtual void record_client_ip(const std::string& user_id, const std::string& device_id,
                                const std::string& truncated_ip, std::int64_t ts) = 0;
  virtual void purge_client_ips(std::int64_t older_than_ts) = 0;

  virtual void add_access_token(const std::string& digest, const TokenOwner& owner) = 0;
  virtual std::optional<TokenOwner> token_owner(const std::string& digest) = 0;
  // Invalidates every access token of the device (a login that reuses its device ID).
  virtual void revoke_device_tokens(const std::string& user_id, const std::string& device_id) = 0;

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
  virtual std::vector<Membership> room_members(const std::string& room_id) = 0;
  // The changes of the room's history_visibility (state_key "") or of a user's membership
  // (state_key their user ID), oldest first: only the events that changed the value, so a
  // profile change (join after join) adds nothing. One indexed read.
  virtual std::vector<StateValueChange> history_visibility_changes(const std::string& room_id) = 0;
  virtual std::vector<StateValueChange> membership_changes(const std::string& room_id, const std::string& user_id) = 0;
  virtual void forget_room(const std::string& user_id, const std::string& room_id) = 0;
  virtual bool is_forgotten(const std::string& user_id, const std::string& room_id) = 0;

  // --- aliases, reports ---
  virtual bool create_alias(const std::string& alias, const std::string& room_id,
                            const std::string& creator) = 0;  // false if taken
  virtual std::optional<std::string> alias_room(const std::string& alias) = 0;
  virtual std::optional<std::string> alias_creator(const std::string& alias) = 0;
  virtual bool delete_alias(const std::string& alias) = 0;
  virtual std::vector<std::string> room_aliases(const std::string& room_id) = 0;
  virtual std::int64_t alias_count(const std::string& creator) = 0;
  virtual void add_report(const Report& report) = 0;
  virtual std::int64_t report_count(const std::string& reporter) = 0;
  virtual std::vector<Report> reports() = 0;   // oldest first

  // --- per-user data for sync ---
  virtual StreamPos set_account_data(const std::string& user_id, const std::string& room_id,
                                     const std::string& type, const std::string& content) = 0;
  virtual std::optional<std::string> account_data(const std::string& user_id,
                                                  const std::string& room_id,
                                                  const std::string& type) = 0;
  // The user's entries other than the server-managed m.fully_read and m.push_rules, emptied
  // ones ({}, what clients "delete" an entry with) included: their rows stay.
  virtual std::int64_t client_account_data_count(const std::string& user_id) = 0;
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

  // Keeps the user's filter and returns its ID: that of a kept filter with the same `digest`
  // (the hash of its canonical JSON), which counts as a use, else a new one, never an ID given
  // before. Beyond `max_filters` the least recently used others are deleted.
  virtual std::int64_t add_filter(const std::string& user_id, const std::string& json, const std::string& digest,
                                  std::int64_t now_ms, std::int64_t max_filters) = 0;
  // A kept filter, marked used at `now_ms` (written at most once a day, so a read stays a read).
  virtual std::optional<std::string> filter(const std::string& user_id, std::int64_t id, std::int64_t now_ms) = 0;

  // --- end-to-end encryption ---
  // Device-list changes: the writes below that change what keys/query answers about a user
  // record a change of that user at a new position; device_list_changes() reads them back.
  // Stores the upload in one transaction; a change of the device keys is a device-list change.
  virtual void upload_keys(const std::string& user_id, const std::string& device_id, const KeyUpload& upload) = 0;
  virtual std::optional<std::string> device_keys(const std::string& user_id, const std::string& device_id) = 0;
  // device ID -> device keys JSON, for the devices that uploaded keys.
  virtual std::map<std::string, std::string> user_device_keys(const std::string& user_id) = 0;
  virtual std::optional<std::string> one_time_key(const std::string& user_id, const std::string& device_id,
                                                  const std::string& algorithm, const std::string& key_id) = 0;
  // The device's one-time keys left per algorithm and the algorithms of its unused fallback keys.
  virtual KeyCounts key_counts(const std::string& user_id, const std::string& device_id) = 0;
  // Removes and returns a one-time key of the algorithm; when none is left, returns the
  // fallback key and marks it used. nullopt when the device has neither.
  virtual std::optional<OneTimeKey> claim_key(const std::string& user_id, const std::string& device_id,
                                              const std::string& algorithm) = 0;

  // key type (master, self_signing, user_signing) -> key JSON.
  virtual std::map<std::string, std::string> cross_signing_keys(const std::string& user_id) = 0;
  // Replaces the given types (a device-list change of the user). Signatures stored for the
  // replaced keys stay behind but no longer match a key (keys/query merges by key ID).
  virtual void set_cross_signing_keys(const std::string& user_id, const std::map<std::string, std::string>& keys) = 0;
  // A signature on the signer's own keys is a device-list change seen by everyone; one on
  // another user's keys is a change of that user seen only by the signer.
  virtual void add_key_signatures(const std::vector<KeySignature>& signatures) = 0;
  // Signatures on the user's keys made by the user themselves or by `viewer`.
  virtual std::vector<KeySignature> key_signatures(const std::string& target_user, const std::string& viewer) = 0;
  // Users with a device-list change in (since, upto] that `observer` may see.
  virtual std::vector<std::string> device_list_changes(StreamPos since, StreamPos upto,
                                                       const std::string& observer) = 0;
  // A device-list change of the user without a key write (a renamed device).
  virtual void mark_device_list_changed(const std::string& user_id) = 0;

  // Queues messages for their recipients' devices, each at its own position; an inbox that
  // would hold more than `limits` loses its oldest messages. With a transaction, a repeated
  // one queues nothing and returns false.
  virtual bool add_to_device(const std::vector<ToDeviceMessage>& messages,
                             const std::optional<Transaction>& txn, const InboxLimits& limits) = 0;
  // The device's messages with pos > after, oldest first, at most `limit`.
  virtual std::vector<ToDeviceMessage> to_device_inbox(const std::string& user_id, const std::string& device_id,
                                                       StreamPos after, std::size_t limit) = 0;
  // Deletes the device's messages with pos <= up_to (the client has acknowledged them).
  virtual void ack_to_device(const std::string& user_id, const std::string& device_id, StreamPos up_to) = 0;
  // Empties the inboxes of devices last seen before `seen_before_ts`; returns how many
  // messages went.
  virtual std::int64_t expire_idle_inboxes(std::int64_t seen_before_ts) = 0;

  // A new version, numbered above every earlier one; beyond `max_versions` the oldest are
  // deleted, with their keys.
  virtual std::int64_t create_backup_version(const std::string& user_id, const std::string& algorithm,
                                             const std::string& auth_data, std::int64_t max_versions) = 0;
  // The given version, or the latest when nullopt; nullopt when it does not exist (or was deleted).
  virtual std::optional<BackupVersion> backup_version(const std::string& user_id,
                                                      std::optional<std::int64_t> version) = 0;
  // Key counts are kept with the versions: no keys are counted.
  virtual std::int64_t backup_key_count(const std::string& user_id, std::int64_t version) = 0;
  // Keys in all of the user's versions.
  virtual std::int64_t user_backup_key_count(const std::string& user_id) = 0;
  virtual bool update_backup_version(const std::string& user_id, std::int64_t version,
                                     const std::string& auth_data) = 0;
  // Deletes the version with its keys; its number is never reused.
  virtual bool delete_backup_version(const std::string& user_id, std::int64_t version) = 0;
  // Keys of the version, narrowed to a room and a session when given.
  virtual std::vector<BackupKey> backup_keys(const std::string& user_id, std::int64_t version,
                                             const std::optional<std::string>& room_id,
                                             const std::optional<std::string>& session_id) = 0;
  // Inserts or replaces the keys (the caller has applied the replacement rules); new etag.
  virtual void put_backup_keys(const std::string& user_id, std::int64_t version,
                               const std::vector<BackupKey>& keys) = 0;
  virtual void delete_backup_keys(const std::string& user_id, std::int64_t version,
                                  const std::optional<std::string>& room_id,
                                  const std::optional<std::string>& session_id) = 0;

  // --- media (metadata; the bytes are in media::ContentStore) ---
  virtual bool add_media(const MediaRecord& record) = 0;   // false when the ID exists
  virtual std::optional<MediaRecord> media(const std::string& media_id) = 0;
  // Fills in a pending record (async upload); false unless it was pending.
  virtual bool complete_media(const MediaRecord& record) = 0;
  // The uploader's media, newest first (by creation time, then ID), at most `limit`, after the
  // (created_ts, media_id) of the previous page's last one when given.
  virtual std::vector<MediaRecord> user_media(const std::string& uploader,
                                              const std::optional<std::pair<std::int64_t, std::string>>& after,
                                              std::size_t limit) = 0;
  virtual std::int64_t user_media_bytes(const std::string& uploader) = 0;
  // IDs of the uploader still waiting for their upload at `now_ms`.
  virtual std::int64_t pending_media_count(const std::string& uploader, std::int64_t now_ms) = 0;
  // Deletes the record; returns it (nullopt when unknown).
  virtual std::optional<MediaRecord> delete_media(const std::string& media_id) = 0;
  // How many records use this content.
  virtual std::int64_t media_using_content(const std::string& sha256) = 0;
  // Uploaded media created before `ts`, oldest first, at most `limit`; and pending IDs past
  // their expiry.
  virtual std::vector<MediaRecord> media_created_before(std::int64_t ts, std::size_t limit) = 0;
  virtual std::int64_t delete_expired_pending_media(std::int64_t now_ms) = 0;
};

struct SqliteOptions {
  std::string path;          // database file; ":memory:" for tests
  bool fsync_every_commit = false;  // synchronous=FULL instead of NORMAL (WAL)
};

// Opens (creating if needed) and migrates the database. Throws StorageError when the file
// cannot be opened or its schema is newer than this binary.
std::unique_ptr<Store> open_sqlite_store(const SqliteOptions& options);

}  // namespace myelin::storage
