#include "homeserver/federation/remote_media.h"

#include <algorithm>
#include <cctype>

#include "core/json.h"
#include "homeserver/federation/media_multipart.h"
#include "http/http.h"

namespace myelin::homeserver {
namespace {

using core::Errc;

// Room for the multipart framing and headers beyond the media's bytes.
constexpr std::size_t kFramingBytes = 64 * 1024;

std::string errcode_of(const IncomingResponse& response) {
  auto body = core::parse_json_object(response.body);
  if (!body) return "";
  const json::value* errcode = body->if_contains("errcode");
  return errcode && errcode->is_string() ? std::string(errcode->get_string()) : "";
}

std::string safe_content_type(std::string_view type) {
  if (type.empty() || type.size() > 255) return "application/octet-stream";
  for (char c : type)
    if (c < 0x20 || c > 0x7e) return "application/octet-stream";
  return std::string(type);
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string thumbnail_query(const RemoteThumbnail& size) {
  return "width=" + std::to_string(size.width) + "&height=" + std::to_string(size.height) +
         "&method=" + (size.crop ? "crop" : "scale") + "&animated=" + (size.animated ? "true" : "false");
}

RemoteMediaFile file_of(std::string bytes, std::string_view content_type, std::string_view disposition) {
  return RemoteMediaFile{std::move(bytes), safe_content_type(content_type), disposition_file_name(disposition)};
}

}  // namespace

bool needs_legacy_fallback(const IncomingResponse& response) {
  if (response.status == 405) return true;
  if (response.status != 404 && response.status != 400) return false;
  const std::string errcode = errcode_of(response);
  return errcode.empty() || errcode == "M_UNRECOGNIZED";
}

core::Error remote_media_error(const IncomingResponse& response) {
  const std::string errcode = errcode_of(response);
  if (response.status == 0 && response.error.find("too large") != std::string::npos)  // http/https_client.h's words
    return core::make_error(Errc::kTooLarge, "The remote media is too large to serve", 502);
  if (response.status == 404) return core::make_error(Errc::kNotFound, "Media not found");
  if (response.status == 504 && errcode == "M_NOT_YET_UPLOADED")
    return core::make_error(Errc::kNotYetUploaded, "The media has not been uploaded yet");
  if (errcode == "M_TOO_LARGE") return core::make_error(Errc::kTooLarge, "The remote media is too large to serve", 502);
  if (response.status == 429) {
    core::Error error = core::make_error(Errc::kLimitExceeded, "The media's server is limiting our requests");
    std::int64_t retry = 5000;
    if (auto body = core::parse_json_object(response.body)) {
      const json::value* after = body->if_contains("retry_after_ms");
      if (after && after->is_int64()) retry = std::clamp<std::int64_t>(after->as_int64(), 1000, 60'000);
    }
    error.extra["retry_after_ms"] = retry;
    return error;
  }
  return core::make_error(Errc::kUnknown, "The media's server did not serve it", 502);
}

std::string disposition_file_name(std::string_view disposition) {
  std::optional<std::string> name;
  std::string_view rest = disposition;
  while (!rest.empty()) {
    std::size_t semicolon = rest.find(';');
    std::string_view param = rest.substr(0, semicolon);
    rest.remove_prefix(semicolon == std::string_view::npos ? rest.size() : semicolon + 1);
    while (!param.empty() && param.front() == ' ') param.remove_prefix(1);
    const std::size_t equals = param.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string key = lower(param.substr(0, equals));
    std::string_view value = param.substr(equals + 1);
    if (key == "filename*") {  // RFC 8187: charset'language'percent-encoded
      const std::size_t quote = value.find('\'');
      const std::size_t second = quote == std::string_view::npos ? quote : value.find('\'', quote + 1);
      if (second == std::string_view::npos || lower(value.substr(0, quote)) != "utf-8") continue;
      if (auto decoded = http::percent_decode(value.substr(second + 1))) {
        name = std::move(*decoded);
        break;  // it wins over filename=
      }
    } else if (key == "filename" && !name) {
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        std::string unquoted;
        for (std::size_t i = 1; i + 1 < value.size(); ++i) {
          if (value[i] == '\\' && i + 2 < value.size()) ++i;
          unquoted += value[i];
        }
        name = std::move(unquoted);
      } else {
        name = std::string(value);
      }
    }
  }
  if (!name || name->size() > 255) return "";
  for (unsigned char c : *name)
    if (c < 0x20 || c == 0x7f) return "";
  return *name;
}

void RemoteMediaClient::fetch(const std::string& server, const std::string& media_id,
                              const std::optional<RemoteThumbnail>& thumbnail, std::size_t max_bytes, Done done) {
  if (!options_.enabled) return done(core::fail(Errc::kNotFound, "Media not found"));
  if (!options_.may_talk_to(server))
    return done(core::fail(Errc::kForbidden, "This server does not talk to " + server));
  std::string target = "/_matrix/federation/v1/media/" + std::string(thumbnail ? "thumbnail/" : "download/") +
                       http::percent_encode(media_id);
  if (thumbnail) target += "?" + thumbnail_query(*thumbnail);
  OutgoingRequest request{server, "GET", std::move(target), std::nullopt, true, max_bytes + kFramingBytes, kTimeout};
  transport_.send(std::move(request), [this, server, media_id, thumbnail, max_bytes,
                                       done = std::move(done)](IncomingResponse response) mutable {
    if (needs_legacy_fallback(response)) return legacy(server, media_id, thumbnail, max_bytes, std::move(done));
    if (response.status != 200) return done(std::unexpected(remote_media_error(response)));
    auto part = parse_media_multipart(response.header("Content-Type"), response.body, max_bytes);
    if (!part) return done(std::unexpected(part.error()));
    if (part->location.empty())
      return done(file_of(std::move(part->bytes), part->content_type, part->content_disposition));
    // Elsewhere: fetched once, and never cached as a URL (the spec: it may expire).
    std::string location = part->location;  // before the part moves into the callback
    transport_.fetch_url(std::move(location), max_bytes, kTimeout,
                         [part = std::move(*part), done = std::move(done)](IncomingResponse redirected) {
                           if (redirected.status != 200) {
                             if (redirected.status == 404) redirected.status = 502;  // the server's fault, not absence
                             return done(std::unexpected(remote_media_error(redirected)));
                           }
                           const std::string_view type = redirected.header("Content-Type");
                           const std::string_view disposition = redirected.header("Content-Disposition");
                           done(file_of(std::move(redirected.body), type.empty() ? part.content_type : type,
                                        disposition.empty() ? part.content_disposition : disposition));
                         });
  });
}

void RemoteMediaClient::legacy(const std::string& server, const std::string& media_id,
                               const std::optional<RemoteThumbnail>& thumbnail, std::size_t max_bytes, Done done) {
  std::string target = "/_matrix/media/v3/" + std::string(thumbnail ? "thumbnail/" : "download/") +
                       http::percent_encode(server) + "/" + http::percent_encode(media_id) + "?allow_remote=false";
  if (thumbnail) target += "&" + thumbnail_query(*thumbnail);
  OutgoingRequest request{server, "GET", std::move(target), std::nullopt, false, max_bytes, kTimeout};
  transport_.send(std::move(request), [done = std::move(done)](IncomingResponse response) {
    if (response.status != 200) return done(std::unexpected(remote_media_error(response)));
    done(file_of(std::move(response.body), response.header("Content-Type"), response.header("Content-Disposition")));
  });
}

}  // namespace myelin::homeserver
