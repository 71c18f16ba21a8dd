#include "storage/sqlite/txn_key.h"

#include "core/crypto.h"

namespace myelin::storage::sqlite {

std::string txn_key_part(std::string_view first, std::string_view second) {
  std::string bytes = std::to_string(first.size()) + ':';
  bytes.append(first).append(second);
  return core::sha256(bytes).substr(0, 16);
}

namespace {

std::string_view text_argument(sqlite3_value* value) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
  return text ? std::string_view(text, static_cast<std::size_t>(sqlite3_value_bytes(value))) : std::string_view();
}

void sql_txn_key_part(sqlite3_context* context, int, sqlite3_value** arguments) {
  try {
    const std::string digest = txn_key_part(text_argument(arguments[0]), text_argument(arguments[1]));
    sqlite3_result_blob(context, digest.data(), static_cast<int>(digest.size()), SQLITE_TRANSIENT);
  } catch (const std::exception& e) {
    sqlite3_result_error(context, e.what(), -1);
  }
}

}  // namespace

void register_txn_key_part(Database& db) {
  if (sqlite3_create_function(db.handle(), "txn_key_part", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                              sql_txn_key_part, nullptr, nullptr) != SQLITE_OK)
    throw StorageError(std::string("txn_key_part: ") + sqlite3_errmsg(db.handle()));
}

}  // namespace myelin::storage::sqlite
