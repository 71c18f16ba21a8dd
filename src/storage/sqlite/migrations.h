#pragma once
// Versioned schema migrations: one ordered table of SQL steps (migrations.cc). migrate() runs
// the missing ones in a transaction and records the version in PRAGMA user_version; a
// database newer than this binary is refused with StorageError.
#include "storage/sqlite/database.h"

namespace myelin::storage::sqlite {

void migrate(Database& db);

}  // namespace myelin::storage::sqlite
