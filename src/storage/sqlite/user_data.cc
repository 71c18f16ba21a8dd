// Per-user data that /sync reports: account data and receipts, each write at a new position.
#include "storage/sqlite/sqlite_store.h"

#include <algorithm>

namespace myelin::storage::sqlite {

StreamPos SqliteStore::set_account_data(const std::string& user_id, const std::string& room_id, const std::string& type,
                                        const std::string& content) {
  DbTransaction transaction(db_);
  const StreamPos pos = next_pos();
  db_.prepare(
         "INSERT INTO account_data (user_id, room_id, type, content, pos) VALUES (?, ?, ?, ?, ?)"
         " ON CONFLICT (user_id, room_id, type) DO UPDATE SET content = excluded.content, pos = excluded.pos")
      .bind(user_id)
      .bind(room_id)
      .bind(type)
      .bind(content)
      .bind(pos)
      .run();
  transaction.commit();
  return pos_ = pos;
}

std::optional<std::string> SqliteStore::account_data(const std::string& user_id, const std::string& room_id,
                                                     const std::string& type) {
  auto s = db_.prepare("SELECT content FROM account_data WHERE user_id = ? AND room_id = ? AND type = ?");
  s.bind(user_id).bind(room_id).bind(type);
  return s.step() ? std::optional(s.text(0)) : std::nullopt;
}

std::int64_t SqliteStore::client_account_data_count(const std::string& user_id) {
  auto s = db_.prepare(
      "SELECT count(*) FROM account_data WHERE user_id = ? AND type NOT IN ('m.fully_read', 'm.push_rules')");
  s.bind(user_id);
  return s.step() ? s.integer(0) : 0;
}

std::vector<AccountDataEntry> SqliteStore::account_data_since(const std::string& user_id, StreamPos since) {
  std::vector<AccountDataEntry> out;
  auto s =
      db_.prepare("SELECT room_id, type, content, pos FROM account_data WHERE user_id = ? AND pos > ? ORDER BY pos");
  s.bind(user_id).bind(since);
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.integer(3)});
  return out;
}

StreamPos SqliteStore::set_receipt(const Receipt& receipt) {
  DbTransaction transaction(db_);
  const StreamPos pos = next_pos();
  db_.prepare(
         "INSERT INTO receipts (room_id, receipt_type, user_id, thread_id, event_id, ts, pos)"
         " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (room_id, receipt_type, user_id, thread_id)"
         " DO UPDATE SET event_id = excluded.event_id, ts = excluded.ts, pos = excluded.pos")
      .bind(receipt.room_id)
      .bind(receipt.receipt_type)
      .bind(receipt.user_id)
      .bind(receipt.thread_id)
      .bind(receipt.event_id)
      .bind(receipt.ts)
      .bind(pos)
      .run();
  transaction.commit();
  receipts_bound_[receipt.room_id] = pos;
  return pos_ = pos;
}

std::vector<Receipt> SqliteStore::receipts_since(const std::string& room_id, StreamPos since) {
  std::vector<Receipt> out;
  if (auto bound = receipts_bound_.find(room_id); bound != receipts_bound_.end() && bound->second <= since) return out;
  auto s = db_.prepare(
      "SELECT receipt_type, user_id, thread_id, event_id, ts, pos FROM receipts WHERE room_id = ? AND pos > ?"
      " ORDER BY pos");
  s.bind(room_id).bind(since);
  while (s.step()) out.push_back({room_id, s.text(0), s.text(1), s.text(2), s.text(3), s.integer(4), s.integer(5)});
  receipts_bound_[room_id] = out.empty() ? std::max(since, pos_) : out.back().pos;
  return out;
}

std::optional<Receipt> SqliteStore::user_receipt(const std::string& room_id, const std::string& user_id,
                                                 const std::string& receipt_type, const std::string& thread_id) {
  auto s = db_.prepare(
      "SELECT event_id, ts, pos FROM receipts WHERE room_id = ? AND receipt_type = ? AND user_id = ? AND thread_id = "
      "?");
  s.bind(room_id).bind(receipt_type).bind(user_id).bind(thread_id);
  if (!s.step()) return std::nullopt;
  return Receipt{room_id, receipt_type, user_id, thread_id, s.text(0), s.integer(1), s.integer(2)};
}

std::vector<std::pair<std::string, StreamPos>> SqliteStore::read_positions(const std::string& room_id,
                                                                           const std::string& user_id) {
  std::vector<std::pair<std::string, StreamPos>> out;
  // The further of the two per thread, taken here: a GROUP BY would build a temporary B-tree on
  // every call (this runs for every room a /sync brings news of), for a handful of rows.
  auto s = db_.prepare(
      "SELECT r.thread_id, e.pos FROM receipts r JOIN events e ON e.event_id = r.event_id"
      " WHERE r.room_id = ? AND r.receipt_type IN ('m.read', 'm.read.private') AND r.user_id = ?");
  s.bind(room_id).bind(user_id);
  while (s.step()) {
    const std::string_view thread_id = s.view(0);
    const StreamPos pos = s.integer(1);
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& read) { return read.first == thread_id; });
    if (it == out.end()) out.emplace_back(std::string(thread_id), pos);
    else it->second = std::max(it->second, pos);
  }
  return out;
}

}  // namespace myelin::storage::sqlite
