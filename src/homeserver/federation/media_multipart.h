#pragma once
// The multipart/mixed body of the federation media API's answers (server-server-api "Content
// Repository": GET /_matrix/federation/v1/media/download and /thumbnail): exactly two parts
// (RFC 2046), the first application/json metadata (an object; `{}` today), the second the
// media's bytes with their Content-Type and Content-Disposition, or a `Location` header to
// fetch them from instead.
#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.h"

namespace myelin::homeserver {

struct MediaPart {
  std::string content_type;  // the media part's headers ("" when absent)
  std::string content_disposition;
  std::string location;  // a redirect instead of bytes ("" when the bytes are here)
  std::string bytes;
};

// Parses an answer strictly: `content_type` must be multipart/mixed with a boundary, the body
// exactly the two parts (CRLF line ends; a preamble and an epilogue are ignored, as RFC 2046
// says), closed by the final delimiter. 502 M_UNKNOWN for anything else (missing boundary,
// truncated, extra parts, metadata that is not a JSON object), 502 M_TOO_LARGE when the media
// has more than `max_bytes`.
core::Result<MediaPart> parse_media_multipart(std::string_view content_type, std::string_view body,
                                              std::size_t max_bytes);

// Our own answer around a file's bytes: the Content-Type of the whole, and the bytes that go
// before and after the file (a fresh random boundary each time).
struct MultipartFrame {
  std::string content_type;
  std::string before, after;
};
MultipartFrame media_multipart_frame(std::string_view media_content_type, std::string_view content_disposition);

}  // namespace myelin::homeserver
