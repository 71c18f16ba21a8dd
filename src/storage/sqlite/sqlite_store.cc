#include "storage/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/files.h"
#include "storage/sqlite/migrations.h"

namespace myelin::storage {

std::unique_ptr<Store> open_sqlite_store(const SqliteOptions& options) {
  return std::make_unique<sqlite::SqliteStore>(options);
}

namespace sqlite {

SqliteStore::SqliteStore(const SqliteOptions& options) : path_(options.path), db_(options.path) {
  db_.exec("PRAGMA journal_mode = WAL");
  db_.exec(options.fsync_every_commit ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  db_.exec("PRAGMA foreign_keys = ON");
  db_.exec("PRAGMA cache_size = " + std::to_string(-options.page_cache_mb * 1024));  // KiB, when negative
  db_.exec("PRAGMA temp_store = MEMORY");
  migrate(db_);
  auto statement = db_.prepare("SELECT pos FROM stream WHERE id = 1");
  if (statement.step()) pos_ = statement.integer(0);
}

SqliteStore::~SqliteStore() {
  if (wal_fd_ >= 0) ::close(wal_fd_);
}

namespace {

// A checkpoint moves the WAL into the database once it holds this many pages (64 MB): pages
// that many commits rewrite (index leaves, the stream position) are copied, and synced, once
// per checkpoint (at 16 MB the checkpointer took a fifth of a core under 50 senders).
constexpr int kCheckpointFrames = 16000;

[[noreturn]] void fail_errno(const std::string& what) { throw StorageError(what + ": " + std::strerror(errno)); }

}  // namespace

void SqliteStore::batch_writes(std::function<void(bool writes)> opened) {
  if (!opened) return db_.batch_writes(nullptr);
  db_.exec("PRAGMA synchronous = NORMAL");            // commits do not wait for the disk ...
  db_.exec("PRAGMA journal_size_limit = 100663296");  // ... and a restarted WAL shrinks back to 96 MB
  // Replaces SQLite's automatic checkpoint (which would run on the loop) by a count.
  sqlite3_wal_hook(
      db_.handle(),
      [](void* self, sqlite3*, const char*, int frames) {
        static_cast<SqliteStore*>(self)->wal_frames_.store(frames, std::memory_order_relaxed);
        return SQLITE_OK;
      },
      this);
  wal_fd_ = ::open((path_ + "-wal").c_str(), O_RDWR | O_CLOEXEC);
  if (wal_fd_ < 0) fail_errno("open " + path_ + "-wal");
  // The WAL's name: SQLite syncs its folder only when it syncs the WAL itself.
  if (!core::sync_path(core::folder_of(path_))) fail_errno("fsync " + core::folder_of(path_));
  checkpoint_db_ = std::make_unique<Database>(path_);
  checkpoint_db_->exec("PRAGMA synchronous = NORMAL");  // a checkpoint syncs the WAL before and the database after
  db_.batch_writes(std::move(opened));
}

void SqliteStore::sync_log() {
  if (::fdatasync(wal_fd_) != 0) fail_errno("fdatasync " + path_ + "-wal");
}

void SqliteStore::checkpoint() {
  if (wal_frames_.load(std::memory_order_relaxed) < kCheckpointFrames) return;
  // PASSIVE: copies what no reader still needs, never waits; the rest goes at a later flush.
  const int rc =
      sqlite3_wal_checkpoint_v2(checkpoint_db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY)
    throw StorageError(std::string("checkpoint: ") + sqlite3_errmsg(checkpoint_db_->handle()));
}

StreamPos SqliteStore::next_pos() {
  db_.prepare("UPDATE stream SET pos = ? WHERE id = 1").bind(pos_ + 1).run();
  return pos_ + 1;  // pos_ itself moves only when the transaction commits
}

StreamPos SqliteStore::allocate_pos() {
  DbTransaction transaction(db_);
  StreamPos pos = next_pos();
  transaction.commit();
  return pos_ = pos;
}

std::optional<RoomRecord> SqliteStore::room(const core::RoomId& room_id) {
  auto s = db_.prepare("SELECT version, creator, published FROM rooms WHERE room_id = ?");
  s.bind(room_id);
  if (!s.step()) return std::nullopt;
  return RoomRecord{room_id.str(), s.text(0), s.text(1), s.integer(2) != 0};
}

void SqliteStore::set_room_published(const std::string& room_id, bool published) {
  db_.prepare("UPDATE rooms SET published = ? WHERE room_id = ?").bind(published).bind(room_id).run();
}

std::vector<std::string> SqliteStore::published_rooms() {
  std::vector<std::string> out;
  auto s = db_.prepare("SELECT room_id FROM rooms WHERE published = 1");
  while (s.step()) out.push_back(s.text(0));
  return out;
}

bool SqliteStore::create_alias(const std::string& alias, const std::string& room_id, const std::string& creator) {
  db_.prepare("INSERT OR IGNORE INTO room_aliases (alias, room_id, creator) VALUES (?, ?, ?)")
      .bind(alias)
      .bind(room_id)
      .bind(creator)
      .run();
  return db_.changes() == 1;
}

std::optional<std::string> SqliteStore::alias_room(const std::string& alias) {
  auto s = db_.prepare("SELECT room_id FROM room_aliases WHERE alias = ?");
  s.bind(alias);
  return s.step() ? std::optional(s.text(0)) : std::nullopt;
}

std::optional<std::string> SqliteStore::alias_creator(const std::string& alias) {
  auto s = db_.prepare("SELECT creator FROM room_aliases WHERE alias = ?");
  s.bind(alias);
  return s.step() ? std::optional(s.text(0)) : std::nullopt;
}

bool SqliteStore::delete_alias(const std::string& alias) {
  db_.prepare("DELETE FROM room_aliases WHERE alias = ?").bind(alias).run();
  return db_.changes() == 1;
}

std::vector<std::string> SqliteStore::room_aliases(const std::string& room_id) {
  std::vector<std::string> out;
  auto s = db_.prepare("SELECT alias FROM room_aliases WHERE room_id = ? ORDER BY alias");
  s.bind(room_id);
  while (s.step()) out.push_back(s.text(0));
  return out;
}

void SqliteStore::add_report(const Report& report) {
  db_.prepare(
         "INSERT INTO reports (room_id, event_id, reporter, reason, score, ts, user_id) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(report.room_id)
      .bind(report.event_id)
      .bind(report.reporter)
      .bind(report.reason)
      .bind(report.score)
      .bind(report.ts)
      .bind(report.user_id)
      .run();
}

std::int64_t SqliteStore::report_count(const std::string& reporter) {
  auto s = db_.prepare("SELECT count(*) FROM reports WHERE reporter = ?");
  s.bind(reporter);
  return s.step() ? s.integer(0) : 0;
}

std::int64_t SqliteStore::alias_count(const std::string& creator) {
  auto s = db_.prepare("SELECT count(*) FROM room_aliases WHERE creator = ?");
  s.bind(creator);
  return s.step() ? s.integer(0) : 0;
}

std::vector<Report> SqliteStore::reports() {
  std::vector<Report> out;
  auto s = db_.prepare("SELECT room_id, event_id, reporter, reason, score, ts, user_id FROM reports ORDER BY id");
  while (s.step())
    out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.optional_integer(4), s.integer(5), s.text(6)});
  return out;
}

namespace {

constexpr std::int64_t kDayMs = 24 * 60 * 60 * 1000;

}  // namespace

std::int64_t SqliteStore::add_filter(const std::string& user_id, const std::string& json, const std::string& digest,
                                     std::int64_t now_ms, std::int64_t max_filters) {
  DbTransaction transaction(db_);
  std::int64_t id = 0;
  {
    auto same = db_.prepare("SELECT filter_id FROM filters WHERE user_id = ? AND digest = ?");
    same.bind(user_id).bind_blob(digest);
    if (same.step()) {
      id = same.integer(0);
      db_.prepare("UPDATE filters SET used_ts = ? WHERE user_id = ? AND filter_id = ?")
          .bind(now_ms)
          .bind(user_id)
          .bind(id)
          .run();
      transaction.commit();
      return id;
    }
  }
  {
    auto s = db_.prepare("SELECT COALESCE(MAX(filter_id), -1) + 1, count(*) FROM filters WHERE user_id = ?");
    s.bind(user_id);
    s.step();
    id = s.integer(0);
    // The new ID is above every one given so far: the highest kept filter is evicted only
    // here, just before a higher one is stored. So a client never gets another's old ID.
    if (const std::int64_t excess = s.integer(1) + 1 - max_filters; excess > 0)
      db_.prepare(
             "DELETE FROM filters WHERE user_id = ? AND filter_id IN (SELECT filter_id FROM filters"
             " WHERE user_id = ? ORDER BY used_ts, filter_id LIMIT ?)")
          .bind(user_id)
          .bind(user_id)
          .bind(excess)
          .run();
  }
  db_.prepare("INSERT INTO filters (user_id, filter_id, json, digest, used_ts) VALUES (?, ?, ?, ?, ?)")
      .bind(user_id)
      .bind(id)
      .bind(json)
      .bind_blob(digest)
      .bind(now_ms)
      .run();
  transaction.commit();
  return id;
}

std::optional<std::string> SqliteStore::filter(const std::string& user_id, std::int64_t id, std::int64_t now_ms) {
  auto s = db_.prepare("SELECT json, used_ts FROM filters WHERE user_id = ? AND filter_id = ?");
  s.bind(user_id).bind(id);
  if (!s.step()) return std::nullopt;
  std::string json = s.text(0);
  if (s.integer(1) < now_ms - kDayMs)
    db_.prepare("UPDATE filters SET used_ts = ? WHERE user_id = ? AND filter_id = ?")
        .bind(now_ms)
        .bind(user_id)
        .bind(id)
        .run();
  return json;
}

}  // namespace sqlite
}  // namespace myelin::storage
