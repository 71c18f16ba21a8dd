#pragma once
// The storage interface: everything the homeserver persists, as domain operations rather than
// SQL, so that a PostgreSQL implementation (or a fault-injecting one) can slot in without
// touching the layers above. Each domain has its own interface (one header each, with its
// records); a service is given only the ones it uses. `Store` is all of them together: what
// an implementation implements and what app/ opens. open_sqlite_store() returns the embedded
// default.
//
// Contract for every implementation:
// - Each call is atomic: it either happens entirely or not at all (one database transaction,
//   or one savepoint of the open batch under group commit).
// - A call that returned is committed, or — under group commit (group_commit.h: what the
//   server runs) — part of the open batch: the server holds every answer until the writes
//   before it are committed, and by default on disk.
// - One stream of positions orders everything a /sync can report (events, account data,
//   receipts, typing, device lists): each write that a sync must see takes the next position.
// - Not thread-safe: the homeserver calls it from its single event-loop thread.
// - Failures other than "not found" are bugs or disk problems: they throw StorageError, which
//   the API layer answers with 500 and the write is rolled back.
#include <memory>
#include <string>

#include "storage/account_store.h"
#include "storage/batched_writes.h"
#include "storage/common.h"
#include "storage/event_store.h"
#include "storage/key_backup_store.h"
#include "storage/key_store.h"
#include "storage/media_store.h"
#include "storage/openid_store.h"
#include "storage/position_store.h"
#include "storage/pusher_store.h"
#include "storage/relation_store.h"
#include "storage/report_store.h"
#include "storage/room_directory_store.h"
#include "storage/search_store.h"
#include "storage/server_key_store.h"
#include "storage/to_device_store.h"
#include "storage/user_data_store.h"
#include "storage/user_directory_store.h"

namespace myelin::storage {

class Store : public PositionStore,
              public AccountStore,
              public EventStore,
              public RelationStore,
              public RoomDirectoryStore,
              public ReportStore,
              public UserDataStore,
              public UserDirectoryStore,
              public KeyStore,
              public ToDeviceStore,
              public KeyBackupStore,
              public MediaStore,
              public SearchStore,
              public OpenIdStore,
              public PusherStore,
              public ServerKeyStore,
              public BatchedWrites {
 public:
  ~Store() override = default;
};

struct SqliteOptions {
  std::string path;                // database file; ":memory:" for tests
  bool fsync_every_commit = true;  // without group commit: synchronous=FULL instead of NORMAL (WAL)
  std::int64_t page_cache_mb = 4;
};

// Opens (creating if needed) and migrates the database. Throws StorageError when the file
// cannot be opened or its schema is newer than this binary.
std::unique_ptr<Store> open_sqlite_store(const SqliteOptions& options);

}  // namespace myelin::storage
