#include "homeserver/federation/media_multipart.h"

#include <cctype>
#include <optional>
#include <vector>

#include "core/ids.h"
#include "core/json.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

constexpr std::size_t kMaxPartHeaderBytes = 8192;

core::Error malformed(std::string_view why) {
  return core::make_error(Errc::kUnknown, "The media's server sent a malformed answer: " + std::string(why), 502);
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// RFC 2046 bchars: 1 to 70 of them, not ending in a space.
bool valid_boundary(std::string_view boundary) {
  static constexpr std::string_view kOther = "'()+_,-./:=? ";
  if (boundary.empty() || boundary.size() > 70 || boundary.back() == ' ') return false;
  for (char c : boundary)
    if (!std::isalnum(static_cast<unsigned char>(c)) && kOther.find(c) == std::string_view::npos) return false;
  return true;
}

// The boundary parameter of a multipart/mixed Content-Type.
std::optional<std::string> boundary_of(std::string_view content_type) {
  const std::size_t semicolon = content_type.find(';');
  if (lower(trim(content_type.substr(0, semicolon))) != "multipart/mixed" || semicolon == std::string_view::npos)
    return std::nullopt;
  std::string_view params = content_type.substr(semicolon + 1);
  while (!params.empty()) {
    std::string_view param = params.substr(0, params.find(';'));
    params.remove_prefix(std::min(params.size(), param.size() + 1));
    const std::size_t equals = param.find('=');
    if (equals == std::string_view::npos || lower(trim(param.substr(0, equals))) != "boundary") continue;
    std::string_view value = trim(param.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (!valid_boundary(value)) return std::nullopt;
    return std::string(value);
  }
  return std::nullopt;
}

struct Part {
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string_view content;

  std::string header(std::string_view name) const {
    for (const auto& [key, value] : headers)
      if (key == name) return value;
    return "";
  }
};

// A part as it stands between its delimiter line and the next delimiter: its header lines,
// an empty line, its content; or, without headers, the empty line and the content (or nothing).
core::Result<Part> parse_part(std::string_view raw) {
  Part part;
  if (raw.empty()) return part;
  std::size_t end = 0;
  if (!raw.starts_with("\r\n")) {
    end = raw.find("\r\n\r\n");
    if (end == std::string_view::npos || end > kMaxPartHeaderBytes) return std::unexpected(malformed("part headers"));
    std::string_view block = raw.substr(0, end);
    while (!block.empty()) {
      const std::size_t eol = block.find("\r\n");
      std::string_view line = block.substr(0, eol);
      block.remove_prefix(eol == std::string_view::npos ? block.size() : eol + 2);
      const std::size_t colon = line.find(':');
      if (colon == 0 || colon == std::string_view::npos || line.front() == ' ' || line.front() == '\t')
        return std::unexpected(malformed("part header line"));
      part.headers.emplace_back(lower(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
    }
    end += 2;
  }
  part.content = raw.substr(end + 2);
  return part;
}

}  // namespace

core::Result<MediaPart> parse_media_multipart(std::string_view content_type, std::string_view body,
                                              std::size_t max_bytes) {
  const auto boundary = boundary_of(content_type);
  if (!boundary) return std::unexpected(malformed("not multipart/mixed with a boundary"));
  const std::string dash = "--" + *boundary, delimiter = "\r\n" + dash;
  // The first delimiter opens the body or ends a preamble.
  std::size_t at = body.starts_with(dash) ? 0 : body.find(delimiter);
  if (at == std::string_view::npos) return std::unexpected(malformed("no delimiter"));
  if (!body.starts_with(dash)) at += 2;
  std::vector<Part> parts;
  while (true) {
    at += dash.size();
    if (body.substr(at).starts_with("--")) break;  // the close delimiter; the epilogue is ignored
    while (at < body.size() && (body[at] == ' ' || body[at] == '\t')) ++at;  // transport padding
    if (!body.substr(at).starts_with("\r\n")) return std::unexpected(malformed("delimiter line"));
    at += 2;
    const std::size_t next = body.find(delimiter, at);
    if (next == std::string_view::npos) return std::unexpected(malformed("truncated"));
    if (parts.size() == 2) return std::unexpected(malformed("more than two parts"));
    auto part = parse_part(body.substr(at, next - at));
    if (!part) return std::unexpected(part.error());
    parts.push_back(std::move(*part));
    at = next + 2;
  }
  if (parts.size() != 2) return std::unexpected(malformed("not two parts"));
  const std::string metadata_type = parts[0].header("content-type");
  if (lower(trim(metadata_type.substr(0, metadata_type.find(';')))) != "application/json" ||
      !core::parse_json_object(parts[0].content))
    return std::unexpected(malformed("the metadata part is not a JSON object"));
  MediaPart media;
  media.content_type = parts[1].header("content-type");
  media.content_disposition = parts[1].header("content-disposition");
  media.location = parts[1].header("location");
  if (media.location.empty()) {
    if (parts[1].content.size() > max_bytes)
      return core::fail(Errc::kTooLarge, "The remote media is too large to serve", 502);
    media.bytes = std::string(parts[1].content);
  }
  return media;
}

MultipartFrame media_multipart_frame(std::string_view media_content_type, std::string_view content_disposition) {
  const std::string boundary = core::random_string(32);
  MultipartFrame frame;
  frame.content_type = "multipart/mixed; boundary=" + boundary;
  frame.before = "--" + boundary + "\r\nContent-Type: application/json\r\n\r\n{}\r\n--" + boundary +
                 "\r\nContent-Type: " + std::string(media_content_type) + "\r\n";
  if (!content_disposition.empty()) frame.before += "Content-Disposition: " + std::string(content_disposition) + "\r\n";
  frame.before += "\r\n";
  frame.after = "\r\n--" + boundary + "--\r\n";
  return frame;
}

}  // namespace myelin::homeserver
