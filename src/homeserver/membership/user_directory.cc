// homeserver/membership/user_directory.h
#include "homeserver/membership/user_directory.h"

#include <algorithm>
#include <vector>

namespace myelin::homeserver {

DirectoryResults UserDirectory::search(const std::string& user_id, const std::string& term, std::int64_t limit) {
  const auto max_results = static_cast<std::size_t>(std::clamp<std::int64_t>(limit, 1, 100));
  std::vector<std::string> words;
  std::size_t at = 0;
  while (words.size() < kMaxWords) {
    at = term.find_first_not_of(" \t\r\n", at);
    if (at == std::string::npos) break;
    const std::size_t end = std::min(term.find_first_of(" \t\r\n", at), term.size());
    words.push_back(term.substr(at, end - at));
    at = end;
  }
  auto found = store_.search_user_directory(user_id, words, config_.user_directory_include_public_rooms,
                                            max_results + 1, kCandidates);
  DirectoryResults out;
  out.limited = found.size() > max_results;
  if (out.limited) found.resize(max_results);
  for (auto& entry : found) {
    json::object result{{"user_id", std::move(entry.user_id)}};
    if (!entry.displayname.empty()) result["display_name"] = std::move(entry.displayname);
    if (!entry.avatar_url.empty()) result["avatar_url"] = std::move(entry.avatar_url);
    out.results.push_back(std::move(result));
  }
  return out;
}

}  // namespace myelin::homeserver
