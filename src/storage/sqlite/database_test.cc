// Batching (Database::batch_writes): the statements of a turn share one transaction, a
// read-only snapshot until something writes.
#include "storage/sqlite/database.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace myelin::storage::sqlite {
namespace {

class DatabaseBatchingTest : public testing::Test {
 protected:
  void SetUp() override {
    db_.exec("PRAGMA journal_mode = WAL");
    db_.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)");
    db_.batch_writes([this](bool writes) { opened_.push_back(writes); });
  }
  void TearDown() override { remove_files(path_); }
  static bool remove_files(const std::string& path) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    return true;
  }
  std::int64_t rows() {
    auto s = db_.prepare("SELECT count(*) FROM t");
    s.step();
    return s.integer(0);
  }
  bool in_transaction() { return sqlite3_get_autocommit(db_.handle()) == 0; }

  const std::string path_ =
      (std::filesystem::temp_directory_path() / ("myelin-database-" + std::to_string(getpid()) + ".db")).string();
  const bool fresh_ = remove_files(path_);  // before db_ opens it
  Database db_{path_};
  std::vector<bool> opened_;
};

TEST_F(DatabaseBatchingTest, TheReadsOfATurnShareOneSnapshotThatTheTurnsEndCloses) {
  EXPECT_EQ(rows(), 0);
  EXPECT_EQ(rows(), 0);
  EXPECT_EQ(opened_, std::vector<bool>{false});
  EXPECT_TRUE(in_transaction());
  db_.commit_batch();
  EXPECT_FALSE(in_transaction());
  EXPECT_EQ(rows(), 0);  // the next turn opens its own
  EXPECT_EQ(opened_, (std::vector<bool>{false, false}));
  db_.commit_batch();
}

// An admin command writes from another process while the server's turn has read: the turn's
// write does not conflict with that newer write (SQLITE_BUSY_SNAPSHOT) but takes its turn after it.
TEST_F(DatabaseBatchingTest, AWriteAfterTheTurnsReadsFollowsAnotherConnectionsWriteSinceThen) {
  EXPECT_EQ(rows(), 0);
  {
    Database other(path_);
    other.exec("INSERT INTO t (body) VALUES ('from an admin command')");
  }
  EXPECT_EQ(rows(), 0);  // still the turn's snapshot
  db_.prepare("INSERT INTO t (body) VALUES ('from the server')").run();
  EXPECT_EQ(opened_, (std::vector<bool>{false, true}));
  EXPECT_EQ(rows(), 2);
  db_.commit_batch();
  EXPECT_FALSE(in_transaction());
  Database other(path_);
  auto s = other.prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.integer(0), 2);
}

// The disk is busy (another process holds the write lock): the write fails, and the turn and
// the next one go on.
TEST_F(DatabaseBatchingTest, AWriteThatCannotHaveTheLockFailsAloneAfterTheTurnsReads) {
  sqlite3_busy_timeout(db_.handle(), 10);
  EXPECT_EQ(rows(), 0);
  Database other(path_);
  other.exec("BEGIN IMMEDIATE");
  EXPECT_THROW(db_.prepare("INSERT INTO t (body) VALUES ('refused')").run(), StorageError);
  EXPECT_EQ(rows(), 0);
  EXPECT_NO_THROW(db_.commit_batch());
  other.exec("ROLLBACK");
  db_.prepare("INSERT INTO t (body) VALUES ('accepted')").run();
  EXPECT_NO_THROW(db_.commit_batch());
  EXPECT_EQ(rows(), 1);
  db_.commit_batch();
}

TEST_F(DatabaseBatchingTest, AUnitAfterTheTurnsReadsJoinsTheBatchAndRollsBackAlone) {
  EXPECT_EQ(rows(), 0);
  {
    DbTransaction unit(db_);
    db_.prepare("INSERT INTO t (body) VALUES ('kept')").run();
    unit.commit();
  }
  {
    DbTransaction unit(db_);
    db_.prepare("INSERT INTO t (body) VALUES ('rolled back')").run();
  }
  EXPECT_EQ(opened_, (std::vector<bool>{false, true}));
  db_.commit_batch();
  EXPECT_EQ(rows(), 1);
  db_.commit_batch();
}

}  // namespace
}  // namespace myelin::storage::sqlite
