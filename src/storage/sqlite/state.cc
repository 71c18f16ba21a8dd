// State groups: snapshots plus deltas shared between events (store.h). A delta group holds
// only the (type, state_key) entries its event changed; every kMaxChain deltas a snapshot
// group holds the whole state again, so resolving a group reads at most kMaxChain + 1 groups.
#include "storage/sqlite/sqlite_store.h"

namespace myelin::storage::sqlite {
namespace {

constexpr std::int64_t kMaxChain = 50;

}  // namespace

std::int64_t SqliteStore::new_state_group(const std::string& room_id, std::int64_t before, const StateKey& key,
                                          const std::string& event_id) {
  std::int64_t chain = -1;
  if (before != 0) {
    auto s = db_.prepare("SELECT chain_length FROM state_groups WHERE id = ?");
    s.bind(before);
    if (!s.step()) throw StorageError("unknown state group " + std::to_string(before));
    chain = s.integer(0);
  }
  const bool snapshot = before == 0 || chain + 1 >= kMaxChain;
  StateMap entries;
  if (snapshot && before != 0) entries = state_group(before);
  entries[key] = event_id;
  return snapshot ? insert_state_group(room_id, 0, 0, entries)
                  : insert_state_group(room_id, before, chain + 1, entries);
}

std::int64_t SqliteStore::snapshot_state_group(const std::string& room_id, const StateMap& state) {
  return insert_state_group(room_id, 0, 0, state);
}

std::int64_t SqliteStore::insert_state_group(const std::string& room_id, std::int64_t prev_group, std::int64_t chain,
                                             const StateMap& entries) {
  auto insert_group = db_.prepare("INSERT INTO state_groups (room_id, prev_group, chain_length) VALUES (?, ?, ?)");
  insert_group.bind(room_id);
  if (prev_group == 0) insert_group.bind_null();
  else insert_group.bind(prev_group);
  insert_group.bind(chain).run();
  const std::int64_t group = db_.last_insert_rowid();
  for (const auto& [entry_key, entry_event] : entries) {
    db_.prepare("INSERT INTO state_group_entries (group_id, type, state_key, event_id) VALUES (?, ?, ?, ?)")
        .bind(group)
        .bind(entry_key.first)
        .bind(entry_key.second)
        .bind(entry_event)
        .run();
  }
  return group;
}

StateMap SqliteStore::state_group(std::int64_t group) {
  std::vector<std::int64_t> chain;  // newest first, ending with the snapshot
  for (std::int64_t id = group; id != 0;) {
    chain.push_back(id);
    auto s = db_.prepare("SELECT prev_group FROM state_groups WHERE id = ?");
    s.bind(id);
    if (!s.step()) throw StorageError("unknown state group " + std::to_string(id));
    id = s.is_null(0) ? 0 : s.integer(0);
    if (chain.size() > static_cast<std::size_t>(kMaxChain) + 1) throw StorageError("state group chain too long");
  }
  StateMap state;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    auto s = db_.prepare("SELECT type, state_key, event_id FROM state_group_entries WHERE group_id = ?");
    s.bind(*it);
    while (s.step()) state[{s.text(0), s.text(1)}] = s.text(2);
  }
  return state;
}

StateMap SqliteStore::current_state(const std::string& room_id) {
  StateMap state;
  auto s = db_.prepare("SELECT type, state_key, event_id FROM current_state WHERE room_id = ?");
  s.bind(room_id);
  while (s.step()) state[{s.text(0), s.text(1)}] = s.text(2);
  return state;
}

}  // namespace myelin::storage::sqlite
