#pragma once
// The user directory's search (storage/store.h has the contract; client-server-api "User
// directory"). The SQLite implementation keeps a full-text index of local users' IDs and
// display names, and the rooms whose members anyone may find (join rule public or history
// world_readable), both maintained by the database itself as users, profiles and room state
// change (migrations.cc).
#include <cstddef>
#include <string>
#include <vector>

namespace myelin::storage {

struct DirectoryEntry {
  std::string user_id;
  std::string displayname;  // empty = unset
  std::string avatar_url;   // empty = unset
};

class UserDirectoryStore {
 public:
  virtual ~UserDirectoryStore() = default;

  // Local users (deactivated ones aside) whose user ID or display name has, for each of
  // `words`, a run of words starting with it (the word's own words in order), best matches
  // first, among those `searcher` may find: users who share a joined room with them (not
  // themselves) and, with `include_public_rooms`, anyone joined to a room whose join rule is
  // public or whose history is world_readable (themselves included). At most `limit`; only
  // the best `candidates` matches are looked at.
  virtual std::vector<DirectoryEntry> search_user_directory(const std::string& searcher,
                                                            const std::vector<std::string>& words,
                                                            bool include_public_rooms, std::size_t limit,
                                                            std::size_t candidates) = 0;
};

}  // namespace myelin::storage
