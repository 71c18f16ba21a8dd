#pragma once
// Stream tokens ("s<position>" in the one stream, storage/store.h) and /sync's tokens, which
// may also carry how far the device's to-device inbox was delivered.
#include <optional>
#include <string>
#include <string_view>

#include "storage/store.h"

namespace myelin::homeserver {

// A sync token: the stream position, and how far the device's to-device inbox was delivered
// (less than `pos` only when a sync left messages for the next one). Written "s<pos>" or
// "s<pos>_<to_device>".
struct SyncToken {
  storage::StreamPos pos = 0;
  storage::StreamPos to_device = 0;
};
std::string sync_token(const SyncToken& token);
std::optional<SyncToken> parse_sync_token(std::string_view token);

// "s<pos>"; a position of backfilled history (negative, storage/event_store.h) is "h<-pos>",
// which only pagination reads (parse_pagination_token).
std::string stream_token(storage::StreamPos pos);
// "s123" -> 123 (also accepts the bare number, and a sync token); nullopt when malformed.
std::optional<storage::StreamPos> parse_stream_token(std::string_view token);
// A stream token, or "h<n>" (n > 0) -> -n: /messages' from and to, which may point into
// backfilled history.
std::optional<storage::StreamPos> parse_pagination_token(std::string_view token);

}  // namespace myelin::homeserver
