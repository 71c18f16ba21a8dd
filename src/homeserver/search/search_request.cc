#include "homeserver/search/search_request.h"

#include <algorithm>
#include <charconv>

#include "core/base64.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

core::Result<const json::object*> optional_object(const json::object& object, std::string_view key) {
  auto value = object.if_contains(key);
  if (!value) return nullptr;
  if (!value->is_object()) return core::fail(Errc::kBadJson, std::string(key) + " must be an object");
  return &value->get_object();
}

core::Result<std::optional<std::int64_t>> optional_integer(const json::object& object, std::string_view key) {
  auto value = object.if_contains(key);
  if (!value) return std::nullopt;
  if (!value->is_int64() && !value->is_uint64())
    return core::fail(Errc::kBadJson, std::string(key) + " must be an integer");
  if (value->is_uint64() || value->get_int64() < 0)
    return core::fail(Errc::kInvalidParam, std::string(key) + " must be between 0 and 2^63");
  return value->get_int64();
}

core::Result<bool> optional_flag(const json::object& object, std::string_view key) {
  auto value = object.if_contains(key);
  if (!value) return false;
  if (!value->is_bool()) return core::fail(Errc::kBadJson, std::string(key) + " must be a boolean");
  return value->get_bool();
}

core::Status parse_keys(const json::object& criteria, storage::SearchKeys& keys) {
  auto value = criteria.if_contains("keys");
  if (!value) return {};
  if (!value->is_array()) return core::fail(Errc::kBadJson, "keys must be an array");
  if (value->get_array().empty()) return {};  // as if absent: all of them
  keys = {false, false, false};
  for (const auto& key : value->get_array()) {
    if (!key.is_string()) return core::fail(Errc::kBadJson, "keys must hold strings");
    const std::string_view name = key.get_string();
    if (name == "content.body") keys.body = true;
    else if (name == "content.name") keys.name = true;
    else if (name == "content.topic") keys.topic = true;
    else return core::fail(Errc::kInvalidParam, "Unknown search key " + std::string(name));
  }
  return {};
}

core::Result<std::optional<EventContextRequest>> parse_event_context(const json::object& criteria) {
  auto object = optional_object(criteria, "event_context");
  if (!object) return std::unexpected(object.error());
  if (!*object) return std::nullopt;
  EventContextRequest out;
  for (auto [key, target] : {std::pair{"before_limit", &out.before_limit}, {"after_limit", &out.after_limit}}) {
    auto limit = optional_integer(**object, key);
    if (!limit) return std::unexpected(limit.error());
    if (*limit) *target = std::min(**limit, kMaxContextLimit);
  }
  auto profile = optional_flag(**object, "include_profile");
  if (!profile) return std::unexpected(profile.error());
  out.include_profile = *profile;
  return out;
}

core::Result<std::vector<GroupKey>> parse_groupings(const json::object& criteria) {
  std::vector<GroupKey> out;
  auto groupings = optional_object(criteria, "groupings");
  if (!groupings) return std::unexpected(groupings.error());
  if (!*groupings) return out;
  auto group_by = (*groupings)->if_contains("group_by");
  if (!group_by) return out;
  if (!group_by->is_array()) return core::fail(Errc::kBadJson, "group_by must be an array");
  for (const auto& group : group_by->get_array()) {
    if (!group.is_object()) return core::fail(Errc::kBadJson, "group_by must hold objects");
    auto key = group.get_object().if_contains("key");
    if (!key || !key->is_string()) return core::fail(Errc::kBadJson, "A group needs a key string");
    GroupKey parsed = GroupKey::kRoomId;
    if (key->get_string() == "sender") parsed = GroupKey::kSender;
    else if (key->get_string() != "room_id") return core::fail(Errc::kInvalidParam, "Groups are by room_id or sender");
    if (std::find(out.begin(), out.end(), parsed) == out.end()) out.push_back(parsed);
  }
  return out;
}

// Fields of a token, '|'-separated: order, bound, position, rank, scope, scope value (last, so
// it may hold anything).
std::vector<std::string_view> split(std::string_view text, std::size_t parts) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < parts) {
    const auto bar = text.find('|');
    if (bar == std::string_view::npos) return {};
    out.push_back(text.substr(0, bar));
    text.remove_prefix(bar + 1);
  }
  out.push_back(text);
  return out;
}

template <class T>
bool parse_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string encode_search_token(const SearchToken& token) {
  char rank[32];
  auto end = std::to_chars(rank, rank + sizeof rank, token.after.rank).ptr;  // shortest round trip
  const char* scope = !token.scope ? "" : *token.scope == GroupKey::kRoomId ? "room_id" : "sender";
  return core::base64url_encode((token.order == storage::SearchOrder::kRank ? "rank|" : "recent|") +
                                std::to_string(token.bound) + "|" + std::to_string(token.after.pos) + "|" +
                                std::string(rank, end) + "|" + scope + "|" + token.scope_value);
}

std::optional<SearchToken> decode_search_token(std::string_view text) {
  auto decoded = core::base64url_decode(text);
  if (!decoded) return std::nullopt;
  auto parts = split(*decoded, 6);
  if (parts.empty()) return std::nullopt;
  SearchToken token;
  if (parts[0] == "rank") token.order = storage::SearchOrder::kRank;
  else if (parts[0] == "recent") token.order = storage::SearchOrder::kRecent;
  else return std::nullopt;
  if (!parse_number(parts[1], token.bound) || !parse_number(parts[2], token.after.pos) ||
      !parse_number(parts[3], token.after.rank) || token.bound < 0 || token.after.pos < 0)
    return std::nullopt;
  if (parts[4] == "room_id") token.scope = GroupKey::kRoomId;
  else if (parts[4] == "sender") token.scope = GroupKey::kSender;
  else if (!parts[4].empty() || !parts[5].empty()) return std::nullopt;
  token.scope_value = parts[5];
  return token;
}

std::vector<std::string> search_words(std::string_view term) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty() && words.size() < kMaxSearchWords) words.push_back(word);
    word.clear();
  };
  for (char c : term) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')) word += c;
    else if (c >= 'A' && c <= 'Z') word += static_cast<char>(c - 'A' + 'a');
    else flush();
  }
  flush();
  return words;
}

core::Result<std::optional<SearchRequest>> parse_search_request(const json::object& body,
                                                                const std::optional<std::string>& next_batch) {
  auto categories = body.if_contains("search_categories");
  if (!categories) return core::fail(Errc::kMissingParam, "search_categories is required");
  if (!categories->is_object()) return core::fail(Errc::kBadJson, "search_categories must be an object");
  auto room_events = optional_object(categories->get_object(), "room_events");
  if (!room_events) return std::unexpected(room_events.error());
  if (!*room_events) return std::nullopt;
  const json::object& criteria = **room_events;

  SearchRequest out;
  auto term = criteria.if_contains("search_term");
  if (!term) return core::fail(Errc::kMissingParam, "search_term is required");
  if (!term->is_string()) return core::fail(Errc::kBadJson, "search_term must be a string");
  if (term->get_string().size() > kMaxSearchTermBytes)
    return core::fail(Errc::kInvalidParam, "search_term is longer than " + std::to_string(kMaxSearchTermBytes));
  out.words = search_words(term->get_string());
  if (auto status = parse_keys(criteria, out.keys); !status) return std::unexpected(status.error());

  auto filter = optional_object(criteria, "filter");
  if (!filter) return std::unexpected(filter.error());
  if (*filter) {
    auto parsed = parse_event_filter(**filter, 10);
    if (!parsed) return std::unexpected(parsed.error());
    out.filter = std::move(*parsed);
  }
  out.filter.limit = std::clamp<std::int64_t>(out.filter.limit, 1, kMaxSearchLimit);

  if (auto order = criteria.if_contains("order_by")) {
    if (!order->is_string()) return core::fail(Errc::kBadJson, "order_by must be a string");
    if (order->get_string() == "recent") out.order = storage::SearchOrder::kRecent;
    else if (order->get_string() != "rank") return core::fail(Errc::kInvalidParam, "order_by is rank or recent");
  }
  auto context = parse_event_context(criteria);
  if (!context) return std::unexpected(context.error());
  out.event_context = *context;
  auto state = optional_flag(criteria, "include_state");
  if (!state) return std::unexpected(state.error());
  out.include_state = *state;
  auto groups = parse_groupings(criteria);
  if (!groups) return std::unexpected(groups.error());
  out.group_by = std::move(*groups);

  if (next_batch) {
    out.next_batch = decode_search_token(*next_batch);
    if (!out.next_batch || out.next_batch->order != out.order)
      return core::fail(Errc::kInvalidParam, "next_batch is not a token of this search");
  }
  return std::optional(std::move(out));
}

}  // namespace myelin::homeserver
