#pragma once
// The SQLite implementation of Store, every domain interface in one database (store.h has the
// contract). Method bodies are spread over files by area: accounts.cc, events.cc, state.cc,
// user_data.cc, e2ee.cc, key_backup.cc, media.cc, search.cc, openid.cc, pushers.cc, server_keys.cc,
// sqlite_store.cc (the rest).
#include <atomic>
#include <memory>
#include <unordered_map>

#include "storage/sqlite/database.h"
#include "storage/store.h"

namespace myelin::storage::sqlite {

// The columns of `events` that read_event reads, in order (events.cc).
extern const char* const kEventColumns;
StoredEvent read_event(const Statement& s);

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const SqliteOptions& options);
  ~SqliteStore() override;

  // BatchedWrites: the loop's connection stops checkpointing and syncing; sync_log()
  // fdatasyncs the WAL through a descriptor of its own, checkpoint() uses a connection of its
  // own.
  void batch_writes(std::function<void(bool writes)> opened) override;
  void commit_batch() override { db_.commit_batch(); }
  void sync_log() override;
  void checkpoint() override;

  // PositionStore
  StreamPos current_pos() override { return pos_; }
  StreamPos allocate_pos() override;

  // AccountStore
  bool create_user(const UserRecord& user) override;
  std::optional<UserRecord> user(const std::string& user_id) override;
  void set_password_hash(const std::string& user_id, const std::string& hash) override;
  bool upgrade_guest(const std::string& user_id, const std::string& hash) override;
  void set_deactivated(const std::string& user_id) override;
  void set_displayname(const std::string& user_id, const std::string& name) override;
  void set_avatar_url(const std::string& user_id, const std::string& url) override;
  void upsert_device(const DeviceRecord& device) override;
  std::optional<DeviceRecord> device(const std::string& user_id, const std::string& device_id) override;
  std::vector<DeviceRecord> devices(const std::string& user_id) override;
  void rename_device(const std::string& user_id, const std::string& device_id, const std::string& name) override;
  void delete_device(const std::string& user_id, const std::string& device_id) override;
  void mark_device_list_changed(const std::string& user_id) override;
  void record_client_ip(const std::string& user_id, const std::string& device_id, const std::string& truncated_ip,
                        std::int64_t ts) override;
  void purge_client_ips(std::int64_t older_than_ts) override;
  void add_access_token(const std::string& digest, const TokenOwner& owner) override;
  std::optional<TokenOwner> token_owner(const std::string& digest) override;
  void revoke_device_tokens(const std::string& user_id, const std::string& device_id) override;
  void add_registration_token(const RegistrationToken& token) override;
  std::vector<RegistrationToken> registration_tokens() override;
  std::optional<RegistrationToken> registration_token(const std::string& token) override;
  bool delete_registration_token(const std::string& token) override;
  bool use_registration_token(const std::string& token, std::int64_t now_ms) override;
  std::vector<ThreepidBind> threepid_binds(const std::string& user_id) override;
  void add_threepid_bind(const std::string& user_id, const ThreepidBind& bind) override;
  void remove_threepid_bind(const std::string& user_id, const ThreepidBind& bind) override;

  // EventStore
  std::vector<Persisted> persist_events(const std::vector<NewEvent>& events,
                                        const std::optional<RoomRecord>& new_room) override;
  std::optional<RoomRecord> room(const core::RoomId& room_id) override;
  void persist_outliers(const std::vector<NewOutlier>& outliers) override;
  std::vector<StreamPos> persist_history(const HistoryBatch& batch) override;
  std::optional<StoredEvent> event(const std::string& event_id) override;
  std::vector<StoredEvent> events(const std::vector<std::string>& event_ids) override;
  std::vector<StoredEvent> room_events(const std::string& room_id, StreamPos lower, StreamPos upper, std::size_t limit,
                                       Direction dir) override;
  std::optional<std::string> txn_event(const storage::Transaction& txn) override;
  void purge_transactions(std::int64_t older_than_ts) override;
  StateMap state_group(std::int64_t group) override;
  StateMap current_state(const std::string& room_id) override;
  std::vector<Extremity> forward_extremities(const std::string& room_id) override;
  std::vector<Membership> user_memberships(const std::string& user_id) override;
  std::vector<Membership> room_members(const core::RoomId& room_id) override;
  std::vector<StateValueChange> history_visibility_changes(const std::string& room_id) override;
  std::vector<StateValueChange> membership_changes(const std::string& room_id, const std::string& user_id) override;
  void forget_room(const core::UserId& user_id, const core::RoomId& room_id) override;
  bool is_forgotten(const std::string& user_id, const std::string& room_id) override;

  // RelationStore (relations.cc)
  std::optional<RelationRecord> relation(const std::string& child_id) override;
  std::vector<RelationRecord> relations(const std::vector<std::string>& child_ids) override;
  std::vector<StoredEvent> children(const ChildrenQuery& query) override;
  bool has_annotation(const std::string& parent_id, const std::string& child_type, const std::string& key,
                      const std::string& sender) override;
  std::vector<ChildCount> child_counts(const std::string& room_id, const std::vector<ParentRef>& parents,
                                       const std::vector<std::string>& rel_types, StreamPos upto) override;
  std::vector<std::pair<std::string, StoredEvent>> latest_replacements(const std::vector<std::string>& parent_ids,
                                                                       StreamPos upto) override;
  std::vector<std::pair<std::string, std::string>> references(const std::vector<std::string>& parent_ids,
                                                              StreamPos upto, std::size_t per_parent) override;
  std::vector<StoredEvent> events_at(const std::vector<StreamPos>& positions) override;
  std::vector<std::string> participated(const std::string& room_id, const std::string& user_id,
                                        const std::vector<std::string>& root_ids) override;
  std::vector<ThreadRecord> threads(const std::string& room_id, const std::optional<std::string>& participant,
                                    StreamPos upper, std::size_t limit) override;

  // RoomDirectoryStore
  bool create_alias(const std::string& alias, const std::string& room_id, const std::string& creator) override;
  std::optional<std::string> alias_room(const std::string& alias) override;
  std::optional<std::string> alias_creator(const std::string& alias) override;
  bool delete_alias(const std::string& alias) override;
  std::vector<std::string> room_aliases(const std::string& room_id) override;
  std::int64_t alias_count(const std::string& creator) override;
  void set_room_published(const std::string& room_id, bool published) override;
  std::vector<std::string> published_rooms() override;

  // UserDirectoryStore (sqlite/user_directory.cc)
  std::vector<DirectoryEntry> search_user_directory(const std::string& searcher, const std::vector<std::string>& words,
                                                    bool include_public_rooms, std::size_t limit,
                                                    std::size_t candidates) override;

  // ReportStore
  void add_report(const Report& report) override;
  std::int64_t report_count(const std::string& reporter) override;
  std::vector<Report> reports() override;

  // UserDataStore
  StreamPos set_account_data(const std::string& user_id, const std::string& room_id, const std::string& type,
                             const std::string& content) override;
  std::optional<std::string> account_data(const std::string& user_id, const std::string& room_id,
                                          const std::string& type) override;
  std::int64_t client_account_data_count(const std::string& user_id) override;
  std::vector<AccountDataEntry> account_data_since(const std::string& user_id, StreamPos since) override;
  StreamPos set_receipt(const Receipt& receipt) override;
  std::vector<Receipt> receipts_since(const std::string& room_id, StreamPos since) override;
  std::optional<Receipt> user_receipt(const std::string& room_id, const std::string& user_id,
                                      const std::string& receipt_type, const std::string& thread_id) override;
  std::vector<std::pair<std::string, StreamPos>> read_positions(const std::string& room_id,
                                                                const std::string& user_id) override;
  std::int64_t add_filter(const std::string& user_id, const std::string& json, const std::string& digest,
                          std::int64_t now_ms, std::int64_t max_filters) override;
  std::optional<std::string> filter(const std::string& user_id, std::int64_t id, std::int64_t now_ms) override;

  // KeyStore
  void upload_keys(const std::string& user_id, const std::string& device_id, const KeyUpload& upload) override;
  std::optional<std::string> device_keys(const std::string& user_id, const std::string& device_id) override;
  std::map<std::string, std::string> user_device_keys(const std::string& user_id) override;
  std::optional<std::string> one_time_key(const std::string& user_id, const std::string& device_id,
                                          const std::string& algorithm, const std::string& key_id) override;
  KeyCounts key_counts(const std::string& user_id, const std::string& device_id) override;
  std::optional<OneTimeKey> claim_key(const std::string& user_id, const std::string& device_id,
                                      const std::string& algorithm) override;
  std::map<std::string, std::string> cross_signing_keys(const std::string& user_id) override;
  void set_cross_signing_keys(const std::string& user_id, const std::map<std::string, std::string>& keys) override;
  void add_key_signatures(const std::vector<KeySignature>& signatures) override;
  std::vector<KeySignature> key_signatures(const std::string& target_user, const std::string& viewer) override;
  std::vector<std::string> device_list_changes(StreamPos since, StreamPos upto, const std::string& observer) override;
  StreamPos latest_device_list_change(const std::string& user_id) override;

  // ToDeviceStore
  bool add_to_device(const std::vector<ToDeviceMessage>& messages, const std::optional<Transaction>& txn,
                     const InboxLimits& limits) override;
  std::vector<ToDeviceMessage> to_device_inbox(const std::string& user_id, const std::string& device_id,
                                               StreamPos after, std::size_t limit) override;
  void ack_to_device(const std::string& user_id, const std::string& device_id, StreamPos up_to) override;
  std::int64_t expire_idle_inboxes(std::int64_t seen_before_ts) override;

  // KeyBackupStore
  std::int64_t create_backup_version(const std::string& user_id, const std::string& algorithm,
                                     const std::string& auth_data, std::int64_t max_versions) override;
  std::optional<BackupVersion> backup_version(const std::string& user_id, std::optional<std::int64_t> version) override;
  std::int64_t backup_key_count(const std::string& user_id, std::int64_t version) override;
  std::int64_t user_backup_key_count(const std::string& user_id) override;
  bool update_backup_version(const std::string& user_id, std::int64_t version, const std::string& auth_data) override;
  bool delete_backup_version(const std::string& user_id, std::int64_t version) override;
  std::vector<BackupKey> backup_keys(const std::string& user_id, std::int64_t version,
                                     const std::optional<std::string>& room_id,
                                     const std::optional<std::string>& session_id) override;
  void put_backup_keys(const std::string& user_id, std::int64_t version, const std::vector<BackupKey>& keys) override;
  void delete_backup_keys(const std::string& user_id, std::int64_t version, const std::optional<std::string>& room_id,
                          const std::optional<std::string>& session_id) override;

  // PusherStore
  void put_pusher(const PusherRecord& pusher) override;
  bool delete_pusher(const std::string& user_id, const std::string& app_id, const std::string& pushkey) override;
  void delete_pushers_of_others(const std::string& app_id, const std::string& pushkey,
                                const std::string& keep_user) override;
  std::vector<PusherRecord> pushers(const std::string& user_id) override;
  std::vector<std::string> users_with_pushers() override;

  // MediaStore
  bool add_media(const MediaRecord& record) override;
  std::optional<MediaRecord> media(const std::string& media_id) override;
  bool complete_media(const MediaRecord& record) override;
  std::vector<MediaRecord> user_media(const std::string& uploader,
                                      const std::optional<std::pair<std::int64_t, std::string>>& after,
                                      std::size_t limit) override;
  std::int64_t user_media_bytes(const std::string& uploader) override;
  std::int64_t pending_media_count(const std::string& uploader, std::int64_t now_ms) override;
  std::optional<MediaRecord> delete_media(const std::string& media_id) override;
  std::int64_t media_using_content(const std::string& sha256) override;
  std::vector<MediaRecord> media_created_before(std::int64_t ts, std::size_t limit) override;
  std::int64_t delete_expired_pending_media(std::int64_t now_ms) override;

  // SearchStore
  SearchPage search_events(const SearchQuery& query) override;
  std::optional<StoredEvent> event_near_time(const std::string& room_id, std::int64_t ts, Direction dir,
                                             const std::vector<PosBounds>& readable) override;

  // OpenIdStore
  void add_openid_token(const std::string& digest, const std::string& user_id, std::int64_t expires_ts,
                        std::int64_t now_ms, std::int64_t max_per_user) override;
  std::optional<std::string> openid_token_user(const std::string& digest, std::int64_t now_ms) override;
  void purge_openid_tokens(std::int64_t now_ms) override;

  // ServerKeyStore
  std::vector<ServerKeyRecord> server_keys(const std::string& server_name) override;
  void store_server_keys(const std::string& server_name, const std::vector<ServerKeyRecord>& keys,
                         const std::string& document, std::int64_t valid_until_ts) override;
  std::vector<std::string> server_key_documents(const std::string& server_name) override;
  void purge_server_keys(std::int64_t before_ts) override;

 private:
  // Inside persist_events' transaction: adds the event's text to the search index (search.cc),
  // or takes a redacted event's out.
  void index_for_search(const NewEvent& event, StreamPos pos);
  void unindex_for_search(const std::string& room_id, const std::string& event_id);
  // The rows waiting in search_pending, and (inside a transaction) their move into the index.
  std::int64_t pending_search_rows();
  void flush_search_pending();
  // Inside a transaction: marks the backup version deleted and deletes its keys.
  void drop_backup_version(const std::string& user_id, std::int64_t version);
  // Takes the next position inside the caller's transaction (persisted with it).
  StreamPos next_pos();
  // Inside a transaction: the group after a state event (type, state_key) -> event_id on top
  // of `before`. Snapshots when the delta chain gets long.
  std::int64_t new_state_group(const std::string& room_id, std::int64_t before, const StateKey& key,
                               const std::string& event_id);
  // Inside a transaction: a snapshot group holding exactly `state`.
  std::int64_t snapshot_state_group(const std::string& room_id, const StateMap& state);
  // Inside new_state_group and snapshot_state_group: the group row and its entries.
  std::int64_t insert_state_group(const std::string& room_id, std::int64_t prev_group, std::int64_t chain,
                                  const StateMap& entries);
  void persist_one(const NewEvent& event, StreamPos pos, std::int64_t state_group_after);
  // Inside persist_one: (type, state_key) of the room's current state becomes `event_id`
  // (whose PDU is `json`) at `pos`, with its membership row and value change; or, with
  // event_id "", leaves the current state.
  void set_current_state(const std::string& room_id, const StateKey& key, const std::string& event_id,
                         const std::string& json, StreamPos pos);
  // Inside persist_one: the room's current state becomes exactly `state` at `pos`.
  void replace_current_state(const std::string& room_id, const StateMap& state, StreamPos pos);
  // Records (type, state_key)'s value in state_value_changes when the visibility rules read it
  // and it differs from the previous one ("" when `json` is "", the key left the state).
  void record_value_change(const std::string& room_id, const StateKey& key, const std::string& json, StreamPos pos);
  // Inside persist_one: records event.relation (and its thread), or forgets the relation of a
  // redacted child.
  void record_relation(const NewEvent& event, StreamPos pos);
  void drop_relation(const std::string& child_id);
  // The newest relation position of a room (0: none), kept so that a chunk of events older
  // than every relation of its room costs no query (read once per room, then kept in step).
  StreamPos newest_relation(const std::string& room_id);
  std::vector<StateValueChange> value_changes(const std::string& room_id, std::string_view type,
                                              const std::string& state_key);
  // Inside a transaction: records the transaction ID of the event at `pos`.
  void record_transaction(const Transaction& txn, StreamPos pos);
  // Records a transaction that has no event (to-device); false when it was recorded before.
  bool record_new_transaction(const Transaction& txn);
  // Transactions of a deleted device (those older than yesterday are already unreachable).
  void forget_device_transactions(const std::string& user_id, const std::string& device_id);
  // Inside a transaction: deletes the device's messages with pos <= up_to and keeps its
  // inbox size in step.
  void delete_inbox_up_to(const std::string& user_id, const std::string& device_id, StreamPos up_to);
  // Inside a transaction: the same when the caller has counted those messages already
  // (`messages` of `bytes` bytes in all).
  void drop_inbox_rows(const std::string& user_id, const std::string& device_id, StreamPos up_to, std::int64_t messages,
                       std::int64_t bytes);
  struct InboxSize {
    std::int64_t messages = 0;
    std::int64_t bytes = 0;
  };
  // Inside a transaction: drops the inbox's oldest messages while its `size` (as counted) is
  // over `limits`.
  void trim_inbox(const std::string& user_id, const std::string& device_id, InboxSize size, const InboxLimits& limits);
  // Inside a transaction: records a device-list change of `user_id` at `pos`.
  void record_device_list_change(const std::string& user_id, const std::string& observer, StreamPos pos);

  std::string path_;
  Database db_;
  StreamPos pos_ = 0;
  // Group commit (batch_writes): the WAL's descriptor, the checkpointer's connection, and how many
  // frames the WAL held at the last commit (set on the loop, read by the checkpointer).
  int wal_fd_ = -1;
  std::unique_ptr<Database> checkpoint_db_;
  std::atomic<int> wal_frames_{0};
  // Per room, a position no receipt of the room is newer than: /sync asks every joined room
  // for new receipts, and most have none, so most asks are answered without a query.
  std::unordered_map<std::string, StreamPos> receipts_bound_;
  std::unordered_map<std::string, StreamPos> newest_relation_;
  // Per device (user_id '|' device_id): no to-device message of its inbox is newer than `newest`
  // (-1: not known yet), and everything up to `deleted_up_to` is gone. Every /sync reads and
  // acknowledges the inbox, and most inboxes are empty: those syncs touch no table.
  struct InboxBounds {
    StreamPos newest = -1;
    StreamPos deleted_up_to = -1;
  };
  InboxBounds& inbox_bounds(const std::string& user_id, const std::string& device_id) {
    return inboxes_[user_id + '|' + device_id];
  }
  std::unordered_map<std::string, InboxBounds> inboxes_;
  // The position of the newest device-list change (-1: not read yet); a sync from a position
  // at or after it needs no query.
  StreamPos device_lists_newest_ = -1;
  // Rows in search_pending (-1: not counted yet).
  std::int64_t search_pending_ = -1;
};

}  // namespace myelin::storage::sqlite
