#pragma once
// URL previews (client-server-api GET /media/preview_url). Off by default
// (media.url_previews): fetching a page tells its server this server's address and that
// someone here is looking at the link. When on, only public addresses are fetched — never
// loopback, private, link-local or other reserved ranges, as resolved and after every
// redirect — unless a range is in media.url_preview_ip_allowlist. Pages are fetched on the
// worker pool, at most 1 MB and 10 s each, and answers (at most 32 properties each) are cached
// for an hour, a thousand at most.
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/error.h"
#include "core/json.h"
#include "homeserver/media/options.h"
#include "http/http.h"

namespace myelin::homeserver {

class UrlPreviews {
 public:
  UrlPreviews(const UrlPreviewOptions& config, http::Scheduler& scheduler) : config_(config), scheduler_(scheduler) {}

  // The page's Open Graph data ({"og:title": ..., ...}; og:image is left out, since the server
  // does not copy third-party images). M_UNRECOGNIZED when previews are off, M_FORBIDDEN for
  // an address that may not be fetched, M_INVALID_PARAM for a URL that is not http(s).
  void preview(const std::string& url, std::function<void(core::Result<json::object>)> done);

 private:
  bool may_connect(const std::string& ip) const;

  const UrlPreviewOptions& config_;
  http::Scheduler& scheduler_;
  struct Cached {
    json::object preview;
    std::int64_t expires_ms = 0;
  };
  std::unordered_map<std::string, Cached> cache_;
};

// The Open Graph properties (og:*, except og:image*) of an HTML page, with <title> standing in
// for a missing og:title.
json::object open_graph(std::string_view html);

}  // namespace myelin::homeserver
