#include "storage/sqlite/database.h"

#include <utility>

#include "storage/sqlite/wal_vfs.h"

namespace myelin::storage::sqlite {
namespace {

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw StorageError(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

}  // namespace

Statement& Statement::bind(std::int64_t value) {
  if (sqlite3_bind_int64(statement_, next_index_++, value) != SQLITE_OK) fail(sqlite3_db_handle(statement_), "bind");
  return *this;
}

Statement& Statement::bind(std::string_view value) {
  if (sqlite3_bind_text(statement_, next_index_++, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK)
    fail(sqlite3_db_handle(statement_), "bind");
  return *this;
}

Statement& Statement::bind_blob(std::string_view value) {
  if (sqlite3_bind_blob(statement_, next_index_++, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK)
    fail(sqlite3_db_handle(statement_), "bind");
  return *this;
}

Statement& Statement::bind_null() {
  if (sqlite3_bind_null(statement_, next_index_++) != SQLITE_OK) fail(sqlite3_db_handle(statement_), "bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(sqlite3_db_handle(statement_), "step");
}

std::string Statement::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
  return data ? std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(statement_, column))) : std::string();
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

std::optional<std::int64_t> Statement::optional_integer(int column) const {
  if (is_null(column)) return std::nullopt;
  return integer(column);
}

Database::Database(const std::string& path) {
  // No memory statistics: they take a process-wide mutex on every allocation SQLite makes.
  // Only possible before SQLite's first use in the process (later, a harmless SQLITE_MISUSE).
  [[maybe_unused]] static const int no_statistics = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      wal_gathering_vfs()) != SQLITE_OK) {
    std::string message = "cannot open " + path + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory");
    sqlite3_close(db_);
    throw StorageError(message);
  }
  sqlite3_busy_timeout(db_, 5000);
}

Database::~Database() {
  for (auto& [sql, statement] : cache_) sqlite3_finalize(statement);
  sqlite3_close(db_);
}

void Database::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw StorageError("exec: " + message);
  }
}

sqlite3_stmt* Database::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &statement,
                           nullptr) != SQLITE_OK)
      fail(db_, "prepare " + std::string(sql));
    it = cache_.emplace(std::string(sql), statement).first;
  }
  return it->second;
}

Statement Database::prepare(std::string_view sql) {
  sqlite3_stmt* statement = cached(sql);
  if (turn_opened_) {
    if (!sqlite3_stmt_readonly(statement)) {
      if (turn_ != Turn::writing) open_batch();
    } else if (turn_ == Turn::closed) {
      open_reads();
    }
  }
  return Statement(statement);
}

void Database::batch_writes(std::function<void(bool)> opened) { turn_opened_ = std::move(opened); }

void Database::open_reads() {
  run("BEGIN");
  turn_ = Turn::reading;
  turn_opened_(false);
}

void Database::open_batch() {
  if (turn_ == Turn::reading) {
    turn_ = Turn::closed;  // whether or not the write lock can be had
    run("COMMIT");
  }
  run("BEGIN IMMEDIATE");
  turn_ = Turn::writing;
  turn_opened_(true);
}

void Database::commit_batch() {
  const Turn turn = std::exchange(turn_, Turn::closed);
  if (turn == Turn::closed) return;
  if (turn == Turn::reading) {
    if (!sqlite3_get_autocommit(db_)) run("COMMIT");
    return;
  }
  // Some failures (a full disk, an I/O error) make SQLite roll the whole transaction back.
  if (sqlite3_get_autocommit(db_)) throw StorageError("commit: the batch was rolled back by an earlier failure");
  try {
    run("COMMIT");
  } catch (const StorageError&) {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void Database::begin_unit() {
  if (!turn_opened_) return run("BEGIN IMMEDIATE");
  if (turn_ != Turn::writing) open_batch();
  run("SAVEPOINT unit");
}

void Database::commit_unit() { run(turn_opened_ ? "RELEASE unit" : "COMMIT"); }

void Database::roll_back_unit() {
  if (!turn_opened_) return run("ROLLBACK");
  run("ROLLBACK TO unit");
  run("RELEASE unit");
}

}  // namespace myelin::storage::sqlite
