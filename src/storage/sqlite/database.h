#pragma once
// A thin RAII layer over the SQLite C API: one connection, prepared statements cached by their
// SQL text, and a transaction guard that rolls back unless committed. Every SQLite failure
// throws storage::StorageError. Not thread-safe (one connection, one thread).
//
// Two ways to commit. By default every DbTransaction, and every statement outside one, is a
// transaction of its own. After batch_writes() (group commit, storage/group_commit.h), the first
// statement opens the turn's transaction, which later ones join until commit_batch(): a read
// opens it as a read-only snapshot (so the statements of a /sync share one instead of taking and
// dropping the log's read lock each), a write as a batch of writes; a DbTransaction is then a
// savepoint inside the batch, so a failed one still rolls back alone. A write in a read-only
// turn ends the snapshot first and takes the write lock afresh, so that another process's write
// since (an admin command) is waited for, not a conflict.
#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "storage/store.h"

namespace myelin::storage::sqlite {

class Statement {
 public:
  explicit Statement(sqlite3_stmt* statement) : statement_(statement) {}
  ~Statement() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds parameters 1..n in order.
  Statement& bind(std::int64_t value);
  Statement& bind(std::string_view value);
  Statement& bind(const std::string& value) { return bind(std::string_view(value)); }
  Statement& bind(const char* value) { return bind(std::string_view(value)); }
  Statement& bind(bool value) { return bind(std::int64_t{value}); }
  Statement& bind(int value) { return bind(std::int64_t{value}); }
  Statement& bind_blob(std::string_view value);
  Statement& bind_null();
  template <class T>
  Statement& bind(const std::optional<T>& value) {
    return value ? bind(*value) : bind_null();
  }

  // Advances; true while a row is available.
  bool step();
  // Back to before the first step, without bindings, to run again.
  void reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
    next_index_ = 1;
  }
  // Runs a statement that returns no rows.
  void run() {
    while (step()) {
    }
  }

  std::int64_t integer(int column) const { return sqlite3_column_int64(statement_, column); }
  std::string text(int column) const;
  // The column's text without a copy, valid until the next step or reset ("" for NULL).
  std::string_view view(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
    return data ? std::string_view(data, static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)))
                : std::string_view();
  }
  bool is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
  std::optional<std::string> optional_text(int column) const;
  std::optional<std::int64_t> optional_integer(int column) const;

 private:
  sqlite3_stmt* statement_;
  int next_index_ = 1;
};

class Database {
 public:
  explicit Database(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const std::string& sql);
  // A prepared (and cached) statement; finish using it before preparing the same SQL again.
  Statement prepare(std::string_view sql);
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  sqlite3* handle() { return db_; }

  // From now on statements join the turn's transaction; `opened(writes)` is called as a read
  // opens it (false) and as the first write joins it (true).
  void batch_writes(std::function<void(bool writes)> opened);
  // Ends the turn's transaction, if any: commits its writes. Throws StorageError when it cannot
  // (the batch is then gone: rolled back by SQLite or by this call).
  void commit_batch();

  // The start and the end of a DbTransaction (see there).
  void begin_unit();
  void commit_unit();
  void roll_back_unit();

 private:
  sqlite3_stmt* cached(std::string_view sql);
  // Transaction control: never opens a batch itself.
  void run(std::string_view sql) { Statement(cached(sql)).run(); }
  void open_reads();
  void open_batch();

  sqlite3* db_ = nullptr;
  // Looked up on every statement: hashed, and by string_view, so a lookup allocates nothing.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache_;
  std::function<void(bool)> turn_opened_;  // set: batching
  enum class Turn { closed, reading, writing } turn_ = Turn::closed;
};

// One atomic unit of writes: BEGIN IMMEDIATE on construction (a savepoint when batching);
// rolled back on destruction unless commit() was called.
class DbTransaction {
 public:
  explicit DbTransaction(Database& db) : db_(db) { db_.begin_unit(); }
  ~DbTransaction() {
    if (!done_) {
      try {
        db_.roll_back_unit();
      } catch (const StorageError&) {
      }
    }
  }
  void commit() {
    db_.commit_unit();
    done_ = true;
  }

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace myelin::storage::sqlite
