#pragma once
// Another server's media, for our clients (client-server-api GET /_matrix/client/v1/media/
// download and /thumbnail of an mxc:// URI of another server; the cache in front of it is the
// media domain's, homeserver/media/remote_media.h). Asked of that server (server-server-api
// "Content Repository") as this server, with X-Matrix: nothing about the user who asked is
// sent. GET /_matrix/federation/v1/media/download/{mediaId} or /thumbnail/{mediaId}, whose
// multipart answer (media_multipart.h) may point elsewhere with a Location: that URL is
// fetched once, unsigned, over https only, with the transport's TLS and address rules
// (Transport::fetch_url). A server that predates spec v1.11 (404 or 400 M_UNRECOGNIZED, or
// 405) is asked again with the deprecated GET /_matrix/media/v3/download|thumbnail/
// {serverName}/{mediaId}?allow_remote=false, unsigned (the spec's fallback; allow_redirect is
// left out, so it must answer the bytes). Each request has 60 s in all; the remote server
// waits up to its default 20 s (timeout_ms) for media not uploaded yet.
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "homeserver/federation/options.h"
#include "homeserver/federation/transport.h"

namespace myelin::homeserver {

struct RemoteMediaFile {
  std::string bytes;
  std::string content_type;  // printable ASCII, at most 255 bytes; application/octet-stream otherwise
  std::string upload_name;   // from the Content-Disposition's filename ("" when none or unusable)
};

// A thumbnail rather than the media itself (client-server-api "Thumbnails").
struct RemoteThumbnail {
  int width = 0, height = 0;
  bool crop = false, animated = false;
};

class RemoteMediaClient {
 public:
  RemoteMediaClient(const FederationOptions& options, Transport& transport)
      : options_(options), transport_(transport) {}

  using Done = std::function<void(core::Result<RemoteMediaFile>)>;
  // `server` is not ours. Errors for the client: 404 M_NOT_FOUND (no such media there, or
  // federation disabled), 403 M_FORBIDDEN (federation.allowed_servers / denied_servers),
  // 504 M_NOT_YET_UPLOADED, 429 M_LIMIT_EXCEEDED (the server limits us), 502 M_TOO_LARGE (over
  // `max_bytes`), 502 M_UNKNOWN (unreachable, or a malformed answer).
  void fetch(const std::string& server, const std::string& media_id, const std::optional<RemoteThumbnail>& thumbnail,
             std::size_t max_bytes, Done done);

  static constexpr std::chrono::seconds kTimeout{60};

 private:
  void legacy(const std::string& server, const std::string& media_id, const std::optional<RemoteThumbnail>& thumbnail,
              std::size_t max_bytes, Done done);

  const FederationOptions& options_;
  Transport& transport_;
};

// Whether the answer to the federation media API says the server does not have that API
// (404 or 400 M_UNRECOGNIZED, or a body that is no Matrix error at all; 405), so that the
// deprecated endpoint should be asked.
bool needs_legacy_fallback(const IncomingResponse& response);
// The client's error for an answer that brought no media (status 0 included).
core::Error remote_media_error(const IncomingResponse& response);
// The file name of a Content-Disposition header (filename*=UTF-8''..., else filename=...), ""
// when none or when it is longer than 255 bytes or holds control characters.
std::string disposition_file_name(std::string_view disposition);

}  // namespace myelin::homeserver
