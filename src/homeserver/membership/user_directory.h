#pragma once
// The user directory (client-server-api "User directory"): local users found by their user ID
// or display name (the profile they set, MembershipOptions), each word of the search term
// matching the start of a word of theirs, case and diacritics folded (storage's full-text
// index, kept by the database as users and profiles change).
//
// Privacy: by default a searcher finds only users who share a joined room with them. The spec
// asks servers to also consider everyone joined to a room that is public — join rule `public`
// or history `world_readable`, as the spec and Synapse define it — which
// `user_directory.include_public_rooms` turns on (the searcher then finds themselves too when
// they are in one, as Synapse does). Remote users come with federation.
// Bounded: at most 100 results, from the 1,000 best matches of the index.
#include <cstdint>
#include <string>

#include "core/json.h"
#include "homeserver/membership/options.h"
#include "storage/user_directory_store.h"

namespace myelin::homeserver {

struct DirectoryResults {
  json::array results;  // {user_id, display_name?, avatar_url?}, best matches first
  bool limited = false;
};

class UserDirectory {
 public:
  static constexpr std::size_t kMaxWords = 8;
  static constexpr std::size_t kCandidates = 1000;

  UserDirectory(const MembershipOptions& config, storage::UserDirectoryStore& store) : config_(config), store_(store) {}

  // At most `limit` (clamped to 1..100) users matching `term`.
  DirectoryResults search(const std::string& user_id, const std::string& term, std::int64_t limit);

 private:
  const MembershipOptions& config_;
  storage::UserDirectoryStore& store_;
};

}  // namespace myelin::homeserver
