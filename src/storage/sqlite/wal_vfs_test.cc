#include "storage/sqlite/wal_vfs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include "storage/sqlite/database.h"

namespace myelin::storage::sqlite {
namespace {

// A connection through SQLite's own VFS, beside the gathering one: it reads the WAL through
// its own descriptor, so it sees exactly what is in the file.
class PlainConnection {
 public:
  explicit PlainConnection(const std::string& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~PlainConnection() { sqlite3_close(db_); }
  // The first column of the first row, as text ("" without one); fails the test on an error.
  std::string one(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
    std::string out;
    const int rc = sqlite3_step(statement);
    EXPECT_TRUE(rc == SQLITE_ROW || rc == SQLITE_DONE) << sqlite3_errmsg(db_);
    if (rc == SQLITE_ROW && sqlite3_column_text(statement, 0))
      out = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    sqlite3_finalize(statement);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

class WalVfsTest : public testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::remove(path_);
    std::filesystem::remove(path_ + "-wal");
    std::filesystem::remove(path_ + "-shm");
  }
  void TearDown() override { SetUp(); }
  static void open_wal(Database& db) {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA wal_autocheckpoint = 0");
    db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body BLOB)");
  }
  std::int64_t wal_bytes() const {
    struct stat st {};
    return ::stat((path_ + "-wal").c_str(), &st) == 0 ? st.st_size : 0;
  }
  const std::string path_ =
      (std::filesystem::temp_directory_path() / ("myelin-wal-vfs-" + std::to_string(getpid()) + ".db")).string();
};

// Commits small and large (beyond the 96 kB gathered at most), with checkpoints that restart
// the WAL from its start in between: after each commit another connection reads all of it.
TEST_F(WalVfsTest, EveryCommitIsInTheFileWhenItReturns) {
  Database db(path_);
  open_wal(db);
  PlainConnection plain(path_);
  std::mt19937 random(7);
  std::int64_t rows = 0, bytes = 0;
  for (int commit = 1; commit <= 120; ++commit) {
    {
      DbTransaction transaction(db);
      const int n = 1 + static_cast<int>(random() % 5);
      for (int i = 0; i < n; ++i) {
        const std::size_t size = commit % 10 == 0 ? 150'000 + random() % 100'000 : random() % 6'000;
        db.prepare("INSERT INTO t (body) VALUES (?)").bind_blob(std::string(size, static_cast<char>('a' + i))).run();
        ++rows;
        bytes += static_cast<std::int64_t>(size);
      }
      transaction.commit();
    }
    ASSERT_EQ(plain.one("SELECT count(*) || ' ' || total(length(body)) FROM t"),
              std::to_string(rows) + " " + std::to_string(bytes) + ".0")
        << "commit " << commit;
    if (commit % 40 == 0) plain.one("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  EXPECT_EQ(plain.one("PRAGMA integrity_check"), "ok");
}

// Frames written before the commit (a transaction larger than the page cache spills) wait in
// the buffer; a rolled-back transaction's frames never become part of the database.
TEST_F(WalVfsTest, ATransactionsFramesAreWrittenTogetherAndARollbackLeavesNone) {
  Database db(path_);
  open_wal(db);
  db.exec("INSERT INTO t (body) VALUES ('first')");
  const std::int64_t after_first = wal_bytes();
  db.exec("PRAGMA cache_size = 2");  // pages: the transaction below spills a few to the WAL
  {
    DbTransaction transaction(db);
    for (int i = 0; i < 10; ++i) db.prepare("INSERT INTO t (body) VALUES (?)").bind_blob(std::string(2'000, 'x')).run();
    EXPECT_EQ(wal_bytes(), after_first);  // spilled frames are gathered, not yet written
  }                                       // rolled back
  db.exec("INSERT INTO t (body) VALUES ('second')");
  PlainConnection plain(path_);
  EXPECT_EQ(plain.one("SELECT group_concat(body, ',') FROM t"), "first,second");
  EXPECT_EQ(plain.one("PRAGMA integrity_check"), "ok");
}

// Closed and opened again: the WAL replays to the same rows.
TEST_F(WalVfsTest, AReopenedDatabaseHasEveryCommit) {
  {
    Database db(path_);
    open_wal(db);
    for (int i = 0; i < 50; ++i) db.prepare("INSERT INTO t (body) VALUES (?)").bind_blob(std::string(5'000, 'y')).run();
  }
  Database db(path_);
  auto count = db.prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.integer(0), 50);
}

}  // namespace
}  // namespace myelin::storage::sqlite
