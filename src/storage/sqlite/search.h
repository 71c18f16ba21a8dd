#pragma once
// The FTS5 side of SearchStore (storage/search_store.h), exposed for its unit test: how a room
// is named in the index and how a query becomes an FTS5 expression.
#include <string>
#include <string_view>
#include <vector>

#include "storage/search_store.h"

namespace myelin::storage::sqlite {

// The room's token in event_search's `room` column: "r" and the room ID in hex, one token for
// the unicode61 tokenizer (which splits at punctuation).
std::string room_token(std::string_view room_id);

// The expression matching events of `rooms` (any room when empty) that have every word, each as
// a prefix, in the columns `keys` names. Words are quoted, so nothing in them is FTS5 syntax.
std::string match_expression(const std::vector<std::string>& words, const SearchKeys& keys,
                             const std::vector<std::string>& rooms);

}  // namespace myelin::storage::sqlite
