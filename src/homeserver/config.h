#pragma once
// The homeserver's settings: one immutable struct, read once at start (app/config.cc holds the
// table that parses, documents and generates it) and passed by const reference to the
// components that need it.
#include <cstdint>
#include <string>
#include <vector>

namespace myelin::homeserver {

struct Config {
  std::string server_name = "localhost";
  std::string data_dir = "./data";
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = 8008;
  std::string public_baseurl;               // for .well-known; empty = not served
  std::string log_level = "info";

  bool registration_open = false;           // m.login.dummy registration for anyone
  bool guest_access = false;                // POST /register?kind=guest
  std::string registration_shared_secret;   // enables /_synapse/admin/v1/register when set
  bool presence_enabled = false;
  bool profile_lookup_requires_shared_room = true;
  bool public_rooms_without_auth = false;   // GET /publicRooms for anonymous callers
  int client_ip_retention_days = 7;
  bool device_names_visible = false;        // other users see device display names in keys/query
  std::string encryption_by_default = "direct";   // off, direct (DMs), invite (private rooms too), all

  bool rate_limits_enabled = true;
  double rate_per_second = 10;              // per user (or IP when unauthenticated)
  double rate_burst = 50;
  double login_per_second = 0.2;            // per IP, login and register
  double login_burst = 5;

  std::uint64_t max_request_bytes = 1 << 20;
  std::uint64_t max_connections = 10000;
  std::uint64_t max_connections_per_address = 100;   // an IPv6 address counts by its /64; 0 = no limit
  std::uint64_t header_timeout_seconds = 10;         // for a new connection's first request headers
  // What one device or user can make the server keep (limits.* in the config file).
  std::int64_t to_device_inbox_messages = 10000;     // per device; the oldest go beyond
  std::int64_t to_device_inbox_bytes = 32 << 20;
  int to_device_idle_days = 90;                      // inboxes of devices unseen this long go; 0 = never
  std::int64_t one_time_keys_per_algorithm = 100;    // per device
  std::uint64_t account_data_value_bytes = 65536;
  std::int64_t account_data_entries = 2000;          // per user
  std::int64_t filters_per_user = 100;               // the least recently used go beyond
  std::int64_t devices_per_user = 1000;              // a new one logs out the least recently seen
  std::int64_t push_rules_per_user = 1000;           // user-defined rules
  std::int64_t reports_per_user = 1000;              // content reports kept per reporter
  std::int64_t aliases_per_user = 1000;              // room aliases a user has created
  std::int64_t backup_keys_per_user = 1000000;       // room keys in all of a user's key backups
  std::string default_room_version = "12";

  std::uint64_t max_upload_bytes = 50 << 20;         // one media upload
  std::uint64_t media_quota_bytes = 1ull << 30;      // per user, 0 = none
  bool strip_image_metadata = true;                  // EXIF/XMP of JPEG, PNG, WebP uploads
  bool legacy_media_download = false;                // unauthenticated /_matrix/media/v3/download
  std::uint64_t max_image_pixels = 64'000'000;       // thumbnails of larger images are refused
  bool url_previews = false;                         // the server fetches third-party pages
  std::string url_preview_ip_allowlist;              // CIDR ranges fetched despite not being public
  bool fsync_every_commit = false;

  std::vector<std::string> turn_uris;               // none: no TURN server offered
  std::string turn_shared_secret;                   // coturn static-auth-secret (time-limited credentials)
  std::string turn_username;                        // static credentials, when there is no shared secret
  std::string turn_password;
  std::int64_t turn_user_lifetime_s = 3600;
};

}  // namespace myelin::homeserver
