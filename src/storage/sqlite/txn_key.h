#pragma once
// The key of a transaction ID in txn_ids (storage::Transaction): the 16-byte digest of its
// device (user and device ID) and that of its request (endpoint and transaction ID), each the
// first half of a SHA-256 over its two parts, the first prefixed by its length so that no two
// pairs give the same bytes. Short keys that differ in their first bytes; a device's rows stay
// together, so that deleting a device finds them by its digest.
#include <string>
#include <string_view>

#include "storage/sqlite/database.h"

namespace myelin::storage::sqlite {

std::string txn_key_part(std::string_view first, std::string_view second);

// Makes txn_key_part(first, second) callable from SQL on this connection (the migration that
// rekeyed txn_ids).
void register_txn_key_part(Database& db);

}  // namespace myelin::storage::sqlite
