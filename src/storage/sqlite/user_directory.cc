// The user directory's search: the full-text index user_directory_search (FTS5, unicode61:
// case and diacritics folded) over local users' IDs and display names, and the public rooms
// of user_directory_public_rooms, both kept by triggers (migrations.cc, 9).
#include <algorithm>
#include <cctype>

#include "storage/sqlite/sqlite_store.h"

namespace myelin::storage::sqlite {
namespace {

// Whether FTS5 finds a token in `word`: letters and digits (and any non-ASCII character)
// are token characters, everything else separates tokens.
bool has_token(std::string_view word) {
  return std::any_of(word.begin(), word.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x80 || std::isalnum(byte);
  });
}

// The FTS5 query: each word a quoted phrase (its own tokens in order), the last token of each
// a prefix, all of them required. Empty when no word has a token.
std::string match_expression(const std::vector<std::string>& words) {
  std::string query;
  for (const auto& word : words) {
    if (!has_token(word)) continue;
    if (!query.empty()) query += ' ';
    query += '"';
    for (char c : word) {
      if (c == '"') query += '"';
      query += c;
    }
    query += "\"*";
  }
  return query;
}

}  // namespace

std::vector<DirectoryEntry> SqliteStore::search_user_directory(const std::string& searcher,
                                                               const std::vector<std::string>& words,
                                                               bool include_public_rooms, std::size_t limit,
                                                               std::size_t candidates) {
  std::vector<DirectoryEntry> out;
  const std::string match = match_expression(words);
  if (match.empty() || limit == 0) return out;
  // The best `candidates` matches, then for each one indexed probe of the searcher's rooms
  // (room_memberships_by_user, then the key of the candidate's membership there) and, with
  // public rooms, of the candidate's rooms.
  auto s = db_.prepare(
      "SELECT u.user_id, u.displayname, u.avatar_url"
      " FROM (SELECT rowid AS id, rank FROM user_directory_search WHERE user_directory_search MATCH ?1"
      "       ORDER BY rank LIMIT ?2) AS m"
      " JOIN user_directory d ON d.id = m.id JOIN users u ON u.user_id = d.user_id"
      " WHERE u.deactivated = 0 AND ("
      "   (u.user_id <> ?3 AND EXISTS (SELECT 1 FROM room_memberships mine"
      "      JOIN room_memberships theirs ON theirs.room_id = mine.room_id AND theirs.user_id = u.user_id"
      "      WHERE mine.user_id = ?3 AND mine.membership = 'join' AND theirs.membership = 'join'))"
      "   OR (?4 AND EXISTS (SELECT 1 FROM room_memberships theirs"
      "      JOIN user_directory_public_rooms p ON p.room_id = theirs.room_id"
      "      WHERE theirs.user_id = u.user_id AND theirs.membership = 'join')))"
      " ORDER BY m.rank, u.displayname = '', u.user_id LIMIT ?5");
  s.bind(match)
      .bind(static_cast<std::int64_t>(candidates))
      .bind(searcher)
      .bind(include_public_rooms)
      .bind(static_cast<std::int64_t>(limit));
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2)});
  return out;
}

}  // namespace myelin::storage::sqlite
