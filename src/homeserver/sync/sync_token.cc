#include "homeserver/sync/sync_token.h"

#include <charconv>

#include "homeserver/timeline/visibility.h"

namespace myelin::homeserver {

using storage::StreamPos;

std::string stream_token(StreamPos pos) { return pos < 0 ? "h" + std::to_string(-pos) : "s" + std::to_string(pos); }

std::string sync_token(const SyncToken& token) {
  if (token.to_device == token.pos) return stream_token(token.pos);
  return stream_token(token.pos) + "_" + std::to_string(token.to_device);
}

std::optional<SyncToken> parse_sync_token(std::string_view token) {
  if (token.starts_with("s")) token.remove_prefix(1);
  auto number = [](std::string_view text) -> std::optional<StreamPos> {
    StreamPos value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
    return value;
  };
  const std::size_t underscore = token.find('_');
  auto pos = number(token.substr(0, underscore));
  if (!pos) return std::nullopt;
  if (underscore == std::string_view::npos) return SyncToken{*pos, *pos};
  auto to_device = number(token.substr(underscore + 1));
  if (!to_device || *to_device > *pos) return std::nullopt;
  return SyncToken{*pos, *to_device};
}

std::optional<StreamPos> parse_stream_token(std::string_view token) {
  auto parsed = parse_sync_token(token);
  return parsed ? std::optional(parsed->pos) : std::nullopt;
}

std::optional<StreamPos> parse_pagination_token(std::string_view token) {
  if (!token.starts_with("h")) return parse_stream_token(token);
  token.remove_prefix(1);
  StreamPos value = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || end != token.data() + token.size() || value <= 0 || value >= -kHistoryStart)
    return std::nullopt;
  return -value;
}

}  // namespace myelin::homeserver
