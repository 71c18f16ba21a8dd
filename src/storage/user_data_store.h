#pragma once
// Per-user data that /sync reports (storage/store.h has the contract): account data, read
// receipts, and the user's filters.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/common.h"

namespace myelin::storage {

struct AccountDataEntry {
  std::string room_id;  // empty = global
  std::string type;
  std::string content;  // JSON text
  StreamPos pos = 0;
};

struct Receipt {
  std::string room_id;
  std::string receipt_type;  // m.read, m.read.private, m.fully_read is account data
  std::string user_id;
  std::string thread_id;  // empty = unthreaded
  std::string event_id;
  std::int64_t ts = 0;
  StreamPos pos = 0;
};

class UserDataStore {
 public:
  virtual ~UserDataStore() = default;

  virtual StreamPos set_account_data(const std::string& user_id, const std::string& room_id, const std::string& type,
                                     const std::string& content) = 0;
  virtual std::optional<std::string> account_data(const std::string& user_id, const std::string& room_id,
                                                  const std::string& type) = 0;
  // The user's entries other than the server-managed m.fully_read and m.push_rules, emptied
  // ones ({}, what clients "delete" an entry with) included: their rows stay.
  virtual std::int64_t client_account_data_count(const std::string& user_id) = 0;
  // Entries with pos > since (all when since = 0), latest value per (room, type).
  virtual std::vector<AccountDataEntry> account_data_since(const std::string& user_id, StreamPos since) = 0;

  // Replaces the user's receipt of that (room, type, thread) and returns its position.
  virtual StreamPos set_receipt(const Receipt& receipt) = 0;
  // Receipts of the room with pos > since.
  virtual std::vector<Receipt> receipts_since(const std::string& room_id, StreamPos since) = 0;
  // The user's receipt of that type in that thread ("" = unthreaded).
  virtual std::optional<Receipt> user_receipt(const std::string& room_id, const std::string& user_id,
                                              const std::string& receipt_type, const std::string& thread_id) = 0;
  // Where the user's read receipts (m.read and m.read.private, the further of the two) stand
  // in the room: per thread ID ("" = unthreaded, "main", or a thread root), the position of
  // the event read up to. One indexed query.
  virtual std::vector<std::pair<std::string, StreamPos>> read_positions(const std::string& room_id,
                                                                        const std::string& user_id) = 0;

  // Keeps the user's filter and returns its ID: that of a kept filter with the same `digest`
  // (the hash of its canonical JSON), which counts as a use, else a new one, never an ID given
  // before. Beyond `max_filters` the least recently used others are deleted.
  virtual std::int64_t add_filter(const std::string& user_id, const std::string& json, const std::string& digest,
                                  std::int64_t now_ms, std::int64_t max_filters) = 0;
  // A kept filter, marked used at `now_ms` (written at most once a day, so a read stays a read).
  virtual std::optional<std::string> filter(const std::string& user_id, std::int64_t id, std::int64_t now_ms) = 0;
};

}  // namespace myelin::storage
