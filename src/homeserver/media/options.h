#pragma once
// The settings of the media repository and of URL previews (app/ fills them from the config
// file).
#include <cstdint>
#include <string>

namespace myelin::homeserver {

struct MediaOptions {
  std::string server_name = "localhost";
  std::uint64_t max_upload_bytes = 50 << 20;      // one media upload
  std::uint64_t media_quota_bytes = 1ull << 30;   // per user, 0 = none
  bool strip_image_metadata = true;               // EXIF/XMP of JPEG, PNG, WebP uploads
  bool legacy_media_download = false;             // unauthenticated /_matrix/media/v3/download
  std::uint64_t max_image_pixels = 64'000'000;    // thumbnails of larger images are refused
  std::uint64_t remote_cache_bytes = 1ull << 30;  // other servers' media kept on disk (remote_media.h)
};

struct UrlPreviewOptions {
  bool url_previews = false;             // the server fetches third-party pages
  std::string url_preview_ip_allowlist;  // CIDR ranges fetched despite not being public
};

}  // namespace myelin::homeserver
