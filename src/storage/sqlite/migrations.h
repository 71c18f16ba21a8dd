#pragma once
// Versioned schema migrations: one ordered table of SQL steps (migrations.cc). migrate() runs
// the missing ones in a transaction and records the version in PRAGMA user_version; a
// database newer than this binary is refused with StorageError. `up_to` stops at an older
// version (tests of a migration start from the schema before it).
#include <optional>

#include "storage/sqlite/database.h"

namespace myelin::storage::sqlite {

void migrate(Database& db, std::optional<std::int64_t> up_to = std::nullopt);

}  // namespace myelin::storage::sqlite
