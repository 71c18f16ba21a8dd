#pragma once
// POST /search's request, parsed strictly (client-server-api "Server Side Search"), and its
// next_batch tokens. A token names the order it pages, the position the first page was read at
// (later events stay out, so pages neither repeat nor skip a result), the last result given,
// and for a group's token the room or sender the group is.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/timeline/filter.h"
#include "storage/search_store.h"

namespace myelin::homeserver {

// Bounds on a request: the search term's bytes and words, results per page, context events.
inline constexpr std::size_t kMaxSearchTermBytes = 1000;
inline constexpr std::size_t kMaxSearchWords = 16;
inline constexpr std::int64_t kMaxSearchLimit = 100;
inline constexpr std::int64_t kMaxContextLimit = 20;

enum class GroupKey { kRoomId, kSender };

struct EventContextRequest {
  std::int64_t before_limit = 5;
  std::int64_t after_limit = 5;
  bool include_profile = false;
};

struct SearchToken {
  storage::SearchOrder order = storage::SearchOrder::kRank;
  storage::StreamPos bound = 0;
  storage::SearchCursor after;
  std::optional<GroupKey> scope;  // a group's token: only that room or sender
  std::string scope_value;
};
std::string encode_search_token(const SearchToken& token);
std::optional<SearchToken> decode_search_token(std::string_view text);

struct SearchRequest {
  // Lower-cased words of the search term (letters and digits; other characters separate).
  std::vector<std::string> words;
  storage::SearchKeys keys;
  EventFilter filter;  // limit clamped to 1..kMaxSearchLimit
  storage::SearchOrder order = storage::SearchOrder::kRank;
  std::optional<EventContextRequest> event_context;
  bool include_state = false;
  std::vector<GroupKey> group_by;
  std::optional<SearchToken> next_batch;
};

// The words of a search term, at most kMaxSearchWords (the rest are dropped).
std::vector<std::string> search_words(std::string_view term);

// search_categories.room_events of a POST /search body (nullopt when the body has no
// room_events, which is searched in no category), with the next_batch query parameter. M_BAD_JSON
// for a field of the wrong type, M_MISSING_PARAM without search_categories or search_term,
// M_INVALID_PARAM for a value the spec does not allow or beyond the bounds, or a malformed token.
core::Result<std::optional<SearchRequest>> parse_search_request(const json::object& body,
                                                                const std::optional<std::string>& next_batch);

}  // namespace myelin::homeserver
