#include "app/config_file.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "core/ids.h"

namespace myelin::app {
namespace {

struct Option {
  const char* key;  // dotted path, grouped by section in table order
  const char* doc;
  std::function<void(Config&, const YAML::Node&)> read;  // throws YAML::Exception on bad types
  std::function<std::string(const Config&)> write;       // YAML scalar text
};

// An option of type T; `field(config)` is its place in a Config (or a const Config).
template <class T, class Field>
Option typed_option(const char* key, const char* doc, Field field) {
  return Option{key, doc, [field](Config& config, const YAML::Node& node) { field(config) = node.as<T>(); },
                [field](const Config& config) {
                  YAML::Emitter out;
                  out.SetDoublePrecision(6);
                  if constexpr (std::is_same_v<T, std::string>) {
                    out << YAML::DoubleQuoted << field(config);
                  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
                    out.SetStringFormat(YAML::DoubleQuoted);
                    out << YAML::Flow << field(config);
                  } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
                    out.SetStringFormat(YAML::DoubleQuoted);
                    out << YAML::Flow << YAML::BeginMap;
                    for (const auto& [key, value] : field(config)) out << YAML::Key << key << YAML::Value << value;
                    out << YAML::EndMap;
                  } else if constexpr (std::is_same_v<T, bool>) {
                    out << YAML::TrueFalseBool << field(config);
                  } else {
                    out << field(config);
                  }
                  return std::string(out.c_str());
                }};
}

template <class T>
Option option(const char* key, const char* doc, T Config::*field) {
  return typed_option<T>(
      key, doc, [field](auto& config) -> auto& { return config.*field; });
}

// A field of one of the Config's parts (its server, API or domain settings).
template <class Part, class T>
Option option(const char* key, const char* doc, Part Config::*part, T Part::*field) {
  return typed_option<T>(
      key, doc, [ part, field ](auto& config) -> auto& { return (config.*part).*field; });
}

const std::vector<Option>& options() {
  static const std::vector<Option> table = {
      option("server_name", "The domain in your users' IDs (@alice:server_name). Cannot change later.",
             &Config::server_name),
      option("data_dir", "Where the database and signing key live (relative to this file).", &Config::server,
             &ServerOptions::data_dir),
      option("public_baseurl",
             "Public URL clients reach this server at; when set, /.well-known/matrix/client advertises it.",
             &Config::client_api, &api::ClientApiOptions::public_baseurl),
      option("log_level",
             "trace, debug, info, warn or error. Logs never contain tokens or passwords. debug adds one line per "
             "request: method, path and query (the values of access_token, token, url, filename and username left out, "
             "and the file name in media download paths), status, duration and user ID; never addresses, headers or "
             "bodies. info, the default, logs nothing per request.",
             &Config::server, &ServerOptions::log_level),
      option("listen.address", "Address to listen on (IPv4 or IPv6).", &Config::server, &ServerOptions::listen_address),
      option("listen.port", "Port to listen on; 0 picks a free port (printed at start).", &Config::server,
             &ServerOptions::listen_port),
      option("registration.open",
             "Privacy/abuse default: closed. When true, anyone may register with m.login.dummy; otherwise a "
             "registration token (myelin registration-token create) is needed.",
             &Config::accounts, &homeserver::AccountsOptions::registration_open),
      option("registration.guest_access",
             "Privacy/abuse default: off. When true, anyone may get a guest account (POST /register?kind=guest) "
             "without credentials; guests may only read rooms they may see, and join, leave and talk in rooms whose "
             "m.room.guest_access is can_join.",
             &Config::accounts, &homeserver::AccountsOptions::guest_access),
      option("registration.shared_secret",
             "When set, enables Synapse-compatible shared-secret registration at /_synapse/admin/v1/register (admin "
             "tools, bridges).",
             &Config::accounts, &homeserver::AccountsOptions::registration_shared_secret),
      option("privacy.profile_lookup_requires_shared_room",
             "Only users who share a room with you can look up your profile. false: anyone may, without logging in, as "
             "the spec allows.",
             &Config::membership, &homeserver::MembershipOptions::profile_lookup_requires_shared_room),
      option("privacy.public_rooms_without_auth",
             "Let callers without an account list the public room directory (GET /publicRooms), as the spec permits. "
             "Off: only logged-in users see it.",
             &Config::client_api, &api::ClientApiOptions::public_rooms_without_auth),
      option("privacy.client_ip_retention_days",
             "Client IP addresses are stored truncated (/24, /48) and deleted after this many days.", &Config::accounts,
             &homeserver::AccountsOptions::client_ip_retention_days),
      option("privacy.device_names_visible",
             "false: other users never see your devices' names (they often reveal the operating system and browser); "
             "you always see your own. true: keys/query shows them to everyone, as Synapse does by default.",
             &Config::e2ee, &homeserver::E2eeOptions::device_names_visible),
      option("user_directory.include_public_rooms",
             "Privacy default: false, the user directory finds only users who share a room with the searcher. true: "
             "also everyone joined to a public room (join rule public, or history world_readable), as the spec asks "
             "and Synapse does.",
             &Config::membership, &homeserver::MembershipOptions::user_directory_include_public_rooms),
      option("presence.enabled",
             "false: presence (online status) is neither recorded nor shared, and the sync presence section stays "
             "empty, and none is sent to or taken from other servers. true: kept in memory, shown to users who share a "
             "room, and exchanged with the other servers of those rooms.",
             &Config::presence, &homeserver::PresenceOptions::presence_enabled),
      option("rate_limits.enabled", "Rate limiting of clients.", &Config::client_api,
             &api::ClientApiOptions::rate_limits_enabled),
      option("rate_limits.per_second", "Sustained requests per second per user for writes.", &Config::client_api,
             &api::ClientApiOptions::rate_per_second),
      option("rate_limits.burst", "Burst size per user for writes.", &Config::client_api,
             &api::ClientApiOptions::rate_burst),
      option("rate_limits.login_per_second", "Login and registration attempts per second per IP.", &Config::client_api,
             &api::ClientApiOptions::login_per_second),
      option("rate_limits.login_burst", "Burst of login and registration attempts per IP.", &Config::client_api,
             &api::ClientApiOptions::login_burst),
      option("limits.max_request_bytes",
             "Largest request body accepted (413 M_TOO_LARGE above). Events are limited to 65536 bytes regardless. At "
             "least 1.",
             &Config::server, &ServerOptions::max_request_bytes),
      option("limits.max_connections", "Open client connections at most; further ones are closed at once. At least 1.",
             &Config::server, &ServerOptions::max_connections),
      option("limits.max_connections_per_address",
             "Open connections from one client address at most (an IPv6 address counts by its /64, one subscriber's "
             "usual share), so that one address cannot take every connection; further ones are closed at once. 0: no "
             "limit. Behind a reverse proxy every client has the proxy's address: raise this to limits.max_connections "
             "(or 0) and limit clients in the proxy.",
             &Config::server, &ServerOptions::max_connections_per_address),
      option("limits.header_timeout_seconds",
             "A new connection that has not sent its first request's headers within this many seconds (1 to 3600) is "
             "closed (idle connections between requests are closed after 75 seconds).",
             &Config::server, &ServerOptions::header_timeout_seconds),
      option("limits.to_device_inbox_messages",
             "To-device messages (encryption keys, verification) one device's inbox holds while it does not sync; "
             "beyond this (or to_device_inbox_bytes) the oldest are dropped. The sender is not told, so it cannot "
             "learn whether your devices are in use. The default covers a week offline in a busy account (a room key "
             "from every active sender of every encrypted room). 0 for no bound; not negative.",
             &Config::e2ee, &homeserver::E2eeOptions::to_device_inbox_messages),
      option("limits.to_device_inbox_bytes",
             "Bytes of message content one device's to-device inbox holds at most (each message is at most 65536); 0 "
             "for no bound; not negative.",
             &Config::e2ee, &homeserver::E2eeOptions::to_device_inbox_bytes),
      option("limits.to_device_idle_days",
             "A device that has not been used for this many days (a lost phone) gets no to-device messages, and those "
             "waiting for it are deleted (checked hourly); it gets new ones again once used. 0: never; not negative.",
             &Config::e2ee, &homeserver::E2eeOptions::to_device_idle_days),
      option("limits.one_time_keys_per_algorithm",
             "One-time keys one device may keep on the server per algorithm (clients keep about 50; libolm remembers "
             "at most 100). An upload beyond it is refused with 403 M_FORBIDDEN, as is one adding a fifth one-time or "
             "fallback key algorithm; algorithm names must be lower-case identifiers ([a-z][a-z0-9._-]*). Between 1 "
             "and 1000000.",
             &Config::e2ee, &homeserver::E2eeOptions::one_time_keys_per_algorithm),
      option("limits.account_data_value_bytes",
             "Largest account-data value (a client setting, a room's tags), as JSON; 413 M_TOO_LARGE above. At least 2 "
             "(the size of {}, an emptied entry).",
             &Config::accounts, &homeserver::AccountsOptions::account_data_value_bytes),
      option("limits.account_data_entries",
             "Account-data entries (global and per room) one user may keep, not counting the server's own (read "
             "markers, push rules); a new one beyond it is refused with 403 M_FORBIDDEN. An emptied entry ({}, the way "
             "to delete one) still counts: the server keeps it so that the user's other devices learn it was emptied. "
             "Rewriting an existing entry is always allowed. At least 1.",
             &Config::accounts, &homeserver::AccountsOptions::account_data_entries),
      option("limits.filters_per_user",
             "Distinct filters (POST /user/{userId}/filter) one user keeps; posting a filter identical to a kept one "
             "returns its ID, as clients repost theirs at every start; a filter is at most 65536 bytes as JSON (413 "
             "M_TOO_LARGE). Beyond the bound the filter least recently used or posted is deleted: a client that still "
             "holds its ID is told it is unknown (404) and creates it again, as clients do at start, where refusing "
             "would stop a new client from syncing at all. At least 1.",
             &Config::timeline, &homeserver::TimelineOptions::filters_per_user),
      option("limits.devices_per_user",
             "Devices (sessions) one user may have. A login that would create one more logs out the device seen least "
             "recently, with its keys (a script that logs in at every run leaves a device each time); refusing the "
             "login would lock the user out. At least 1.",
             &Config::accounts, &homeserver::AccountsOptions::devices_per_user),
      option("limits.push_rules_per_user",
             "Push rules one user may define (keywords, per-room and per-sender settings); a new one beyond it is "
             "refused with 403 M_FORBIDDEN. Each rule is at most 4096 bytes as JSON (413 M_TOO_LARGE). At least 1.",
             &Config::push, &homeserver::PushOptions::push_rules_per_user),
      option("limits.pushers_per_user",
             "Pushers (phones or apps to which the server sends push notifications through their push gateway) one "
             "user may have; a new one beyond it is refused with 403 M_FORBIDDEN. At least 1.",
             &Config::push, &homeserver::PushOptions::pushers_per_user),
      option("limits.reports_per_user",
             "Content reports (of events and rooms) kept from one reporter for the administrators; further reports are "
             "refused with 403 M_FORBIDDEN. A reason is at most 4096 bytes (413 M_TOO_LARGE). At least 1.",
             &Config::moderation, &homeserver::ModerationOptions::reports_per_user),
      option("limits.aliases_per_user",
             "Room aliases one user may create in the room directory (PUT /directory/room/{roomAlias}, createRoom's "
             "room_alias_name); a new one beyond it is refused with 403 M_FORBIDDEN. At least 1.",
             &Config::timeline, &homeserver::TimelineOptions::aliases_per_user),
      option("limits.backup_keys_per_user",
             "Room keys one user may keep in server-side key backups, all versions together (one per encrypted session "
             "the user can read, so years of use stay well below the default); an upload adding keys beyond it is "
             "refused with 403 M_FORBIDDEN. The encrypted data of one room key is at most 8192 bytes (413 M_TOO_LARGE; "
             "a real one is about 1000). A user keeps at most 10 backup versions (a new one deletes the oldest beyond, "
             "with its keys), each auth_data at most 65536 bytes. At least 1.",
             &Config::e2ee, &homeserver::E2eeOptions::backup_keys_per_user),
      option("rooms.default_version", "Room version for new rooms (10, 11 or 12).", &Config::membership,
             &homeserver::MembershipOptions::default_room_version),
      option(
          "rooms.encryption_by_default",
          "Which new rooms the server gives end-to-end encryption (m.room.encryption) in their initial state, whatever "
          "the client asked: direct (direct messages: rooms created with is_direct or the trusted_private_chat "
          "preset), invite (also every room created with the private_chat preset), all (public rooms too) or off. An "
          "encrypted room cannot be searched on the server, and bots and clients without end-to-end encryption cannot "
          "read or post in it. Clients such as Element already encrypt private rooms unless the person switches it "
          "off, and the server cannot tell that choice from a client that never asked: with invite, such a person (or "
          "a bot) still gets an encrypted private room; with all, public rooms too, so newcomers cannot read what was "
          "said before they joined. A createRoom request that brings its own m.room.encryption event keeps it.",
          &Config::membership, &homeserver::MembershipOptions::encryption_by_default),
      option("rooms.cache_state_events",
             "The rooms kept in memory (their current state, read by every send and sync), counted in state events: "
             "about 2.5 kB each, mostly members, so a room of 1000 members costs about 2.5 MB and a direct message "
             "about 10 kB. Beyond the bound the rooms least recently used are dropped and read again from the "
             "database at their next use (about 6 ms for 1000 members, 0.05 ms for a small room); a room in use is "
             "kept whatever the bound. Keep it above the state of your largest rooms. At least 1.",
             &Config::timeline, &homeserver::TimelineOptions::room_cache_state_events),
      option("media.max_upload_bytes",
             "Largest media upload (413 M_TOO_LARGE above). Uploads are streamed to disk, never held in memory.",
             &Config::media, &homeserver::MediaOptions::max_upload_bytes),
      option("media.quota_bytes_per_user", "Total size of one user's uploads (403 M_FORBIDDEN beyond); 0 for no quota.",
             &Config::media, &homeserver::MediaOptions::media_quota_bytes),
      option("media.strip_image_metadata",
             "Privacy default: remove location and camera metadata (EXIF/XMP: GPS position, serial numbers, "
             "timestamps) from JPEG, PNG and WebP uploads, without re-encoding them. Encrypted uploads cannot be "
             "inspected and are stored as they are.",
             &Config::media, &homeserver::MediaOptions::strip_image_metadata),
      option("media.legacy_unauthenticated_download",
             "Serve the deprecated unauthenticated /_matrix/media/v3/download and /thumbnail endpoints. Off: they "
             "answer 404 M_NOT_FOUND (the spec's frozen endpoints) and media is only served to logged-in users.",
             &Config::media, &homeserver::MediaOptions::legacy_media_download),
      option("media.max_image_pixels",
             "Images with more pixels are not thumbnailed (413 M_TOO_LARGE); checked from the header, before decoding.",
             &Config::media, &homeserver::MediaOptions::max_image_pixels),
      option("media.remote_cache_bytes",
             "Other servers' media that users here download is fetched over federation (as this server: the other "
             "server does not learn which user asked) and kept on disk under <data_dir>/remote_media, up to this many "
             "bytes in all; beyond, what was served least recently is deleted. The cache is emptied at every start. "
             "One remote file is at most media.max_upload_bytes (502 M_TOO_LARGE above). The unauthenticated "
             "endpoints never fetch remote media.",
             &Config::media, &homeserver::MediaOptions::remote_cache_bytes),
      option("media.url_previews",
             "Privacy default: off. When on, the server fetches the pages of links users post, to show previews; the "
             "sites then see this server's address and that someone here is looking. Only public addresses are fetched "
             "(SSRF protection).",
             &Config::url_previews, &homeserver::UrlPreviewOptions::url_previews),
      option("media.url_preview_ip_allowlist",
             "Comma-separated address ranges (e.g. 10.1.2.0/24) that URL previews may fetch although they are private "
             "or loopback.",
             &Config::url_previews, &homeserver::UrlPreviewOptions::url_preview_ip_allowlist),
      option("push.event_id_only",
             "Privacy default: on. Every push sent to a push gateway (a third party that relays it to Apple, Google "
             "or another push service) names only the event and room and carries the unread count: no message "
             "content, sender, sender name or room name, whatever format the app asked for; the app fetches the event "
             "from this server. Off: pushers that do not ask for event_id_only get the full notification.",
             &Config::push, &homeserver::PushOptions::event_id_only),
      option("push.allow_http_gateways",
             "Accept pushers whose gateway URL is plain http (the spec requires https; for test gateways).",
             &Config::push, &homeserver::PushOptions::allow_http_gateways),
      option("push.gateway_ip_allowlist",
             "Comma-separated address ranges (e.g. 10.1.2.0/24, 127.0.0.1) where push gateways may be although they "
             "are private or loopback; otherwise only public addresses are contacted (as resolved), since the URL is "
             "chosen by the user.",
             &Config::push, &homeserver::PushOptions::gateway_ip_allowlist),
      option("push.gateway_ca_file",
             "A PEM file of certificate authorities trusted for push gateways besides the system's (empty: none).",
             &Config::push, &homeserver::PushOptions::gateway_ca_file),
      option("identity_servers.enabled",
             "Privacy default: off. When on, the server contacts the identity server a user names, when they ask it "
             "to: to bind an e-mail address or phone number they validated there to their Matrix ID, to unbind it "
             "(also on deactivation), and to look up whom an address belongs to when they invite by e-mail. The "
             "identity server learns the user's Matrix ID, and this server's address. Off: those requests are "
             "refused (M_FORBIDDEN) and no identity server is ever contacted.",
             &Config::accounts, &homeserver::AccountsOptions::identity_servers),
      option("identity_servers.ip_allowlist",
             "Comma-separated address ranges where identity servers may be although they are private or loopback; "
             "otherwise only public addresses are contacted (as resolved), since the client names the server.",
             &Config::accounts, &homeserver::AccountsOptions::identity_server_ip_allowlist),
      option("identity_servers.ca_file",
             "A PEM file of certificate authorities trusted for identity servers besides the system's (empty: none).",
             &Config::accounts, &homeserver::AccountsOptions::identity_server_ca_file),
      option("storage.fsync_every_commit",
             "true: every answer waits until the writes before it are on disk (fsync, shared by the writes that "
             "arrive together: group commit), so an acknowledged write survives a power loss. false: answers wait "
             "for the commit only: an acknowledged write survives a crash of the process (kill -9), but a power loss "
             "may lose those since the last checkpoint (a few MB of log); writes cost less disk time.",
             &Config::server, &ServerOptions::fsync_every_commit),
      option("storage.page_cache_mb",
             "Database pages kept in memory, in MB (at most 4096; the rest is read through the operating system's "
             "file cache, which it can reclaim). More helps large servers read faster; it stays taken once filled. "
             "At least 1.",
             &Config::server, &ServerOptions::page_cache_mb),
      option("federation.enabled",
             "Privacy default: off. Federation shares the rooms your users join with the other servers in them (their "
             "messages, members and profiles) and tells those servers this server's address; off, nothing is sent to "
             "another server or accepted from one, and your users can only talk among themselves. On: requests to "
             "other servers are sent (signed with this server's key), and the federation listener opens when "
             "tls_certificate and tls_private_key are set: other servers reach this one over TLS only, so without a "
             "certificate they cannot.",
             &Config::federation, &homeserver::FederationOptions::enabled),
      option("federation.listen_address", "Address of the federation listener (TLS; IPv4 or IPv6).", &Config::server,
             &ServerOptions::federation_listen_address),
      option("federation.listen_port",
             "Port of the federation listener: 8448 is where other servers look unless /.well-known/matrix/server or "
             "an SRV record on your domain names another. It serves the same API as listen.port, over TLS.",
             &Config::server, &ServerOptions::federation_listen_port),
      option("federation.tls_certificate",
             "PEM file of the federation listener's certificate chain (the server's certificate first, then its "
             "intermediates): it must be valid for server_name's host (or the host /.well-known delegates to) and "
             "signed by an authority other servers trust. Read at start.",
             &Config::server, &ServerOptions::tls_certificate),
      option("federation.tls_private_key", "PEM file of the certificate's private key. Read at start.", &Config::server,
             &ServerOptions::tls_private_key),
      option("federation.ca_file",
             "A PEM file of certificate authorities trusted for outgoing federation requests besides the system's "
             "(empty: none), e.g. a private test network's CA.",
             &Config::federation, &homeserver::FederationOptions::ca_file),
      option("federation.verify_certificates",
             "Check other servers' TLS certificates (their chain to a trusted authority and their name). Turn off "
             "only on a test network whose servers have self-signed certificates: without the check anyone on the "
             "path can read and change federation traffic.",
             &Config::federation, &homeserver::FederationOptions::verify_certificates),
      option("federation.resolve",
             "Server names mapped to the \"ip:port\" they are reached at, e.g. {\"hs2.test\": \"127.0.0.1:8449\"} "
             "(IPv6 as \"[::1]:8449\"). For a server named here, every step of server discovery is skipped (no "
             "/.well-known/matrix/server, SRV or DNS lookup): requests go to that address, its certificate must be "
             "valid for the server name's host, and the Host header is the server name. For tests and split-horizon "
             "networks; these addresses may be private.",
             &Config::federation, &homeserver::FederationOptions::resolve),
      option("federation.allowed_servers",
             "Server names this server talks to (outgoing requests, and incoming ones once authenticated), e.g. "
             "[\"example.org\", \"*.example.net\"] (a leading *. matches every subdomain; ports are ignored, case "
             "too). Empty: every server not denied.",
             &Config::federation, &homeserver::FederationOptions::allowed_servers),
      option("federation.denied_servers",
             "Server names this server never talks to, in the form of allowed_servers; they win over it.",
             &Config::federation, &homeserver::FederationOptions::denied_servers),
      option("federation.ip_allowlist",
             "Comma-separated address ranges (e.g. 10.1.2.0/24) other servers may be found at although they are "
             "private or loopback. Otherwise a server whose name, /.well-known or SRV record leads to such an address "
             "is not contacted: anyone can name a server, and this server must not be made to reach its own network. "
             "Addresses in federation.resolve are allowed.",
             &Config::federation, &homeserver::FederationOptions::ip_allowlist),
      option("federation.trusted_key_servers",
             "Key notaries (server names) asked for another server's signing keys when that server cannot be "
             "reached itself, e.g. [\"matrix.org\"]. Empty by default: a notary learns which servers this one talks "
             "to, so keys are only ever fetched from each server itself.",
             &Config::federation, &homeserver::FederationOptions::trusted_key_servers),
      option("federation.serve_key_notary",
             "Act as a key notary for other servers (POST /_matrix/key/v2/query): this server then fetches, and "
             "countersigns, the keys of any server another asks about.",
             &Config::federation, &homeserver::FederationOptions::serve_key_notary),
      option("federation.profile_requires_shared_room",
             "Answer another server's profile query (display name, avatar) only for a user who shares a room with a "
             "user of that server, and answer 'not found' otherwise, so that other servers cannot probe who has an "
             "account here. Off: any server may look up any user's profile.",
             &Config::federation, &homeserver::FederationOptions::profile_requires_shared_room),
      option("federation.serve_public_rooms",
             "Show the published room directory to other servers (their users' /publicRooms?server= of this server). "
             "Off: they are refused (403 M_FORBIDDEN); this server's own users see it either way.",
             &Config::federation, &homeserver::FederationOptions::serve_public_rooms),
      option("voip.turn_uris",
             "TURN servers offered to clients for calls (GET /voip/turnServer), e.g. "
             "[\"turn:turn.example.org:3478?transport=udp\", \"turns:turn.example.org:5349?transport=tcp\"]. Needs "
             "turn_shared_secret, or turn_username and turn_password. Empty: none (404 M_NOT_FOUND); calls then only "
             "connect when the two sides reach each other directly. Privacy: a call relayed through a TURN server "
             "shows its operator both parties' IP addresses and when and how long they talk.",
             &Config::voip, &homeserver::VoipOptions::turn_uris),
      option("voip.turn_shared_secret",
             "The TURN server's shared secret (coturn: use-auth-secret, static-auth-secret): each user gets "
             "credentials that expire after turn_user_lifetime seconds. Never logged.",
             &Config::voip, &homeserver::VoipOptions::turn_shared_secret),
      option("voip.turn_username",
             "Static TURN username, used when there is no shared secret (every user gets the same credentials).",
             &Config::voip, &homeserver::VoipOptions::turn_username),
      option("voip.turn_password", "Static TURN password, with turn_username.", &Config::voip,
             &homeserver::VoipOptions::turn_password),
      option("voip.turn_user_lifetime", "Seconds the credentials are valid (the ttl clients refresh after).",
             &Config::voip, &homeserver::VoipOptions::turn_user_lifetime_s),
  };
  return table;
}

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream stream(key);
  for (std::string part; std::getline(stream, part, '.');) parts.push_back(part);
  return parts;
}

// The limits.* counts and sizes, and the room cache's bound, within their range. 0 means "no bound" only where an
// option says so: elsewhere 0 or less would refuse everything or, for the caps that evict (filters, devices), delete
// everything at each use.
core::Status check_limits(const Config& config) {
  struct Range {
    const char* key;
    std::int64_t value;
    std::int64_t least;
    std::int64_t most = std::numeric_limits<std::int64_t>::max();
  };
  auto size = [](std::uint64_t value) {  // never negative: YAML refuses -1 for these
    return static_cast<std::int64_t>(std::min<std::uint64_t>(value, std::numeric_limits<std::int64_t>::max()));
  };
  const Range ranges[] = {
      {"limits.max_request_bytes", size(config.server.max_request_bytes), 1},
      {"limits.max_connections", size(config.server.max_connections), 1},
      {"limits.to_device_inbox_messages", config.e2ee.to_device_inbox_messages, 0},
      {"limits.to_device_inbox_bytes", config.e2ee.to_device_inbox_bytes, 0},
      {"limits.to_device_idle_days", config.e2ee.to_device_idle_days, 0},
      // At most a million: four algorithms' worth is computed without overflow.
      {"limits.one_time_keys_per_algorithm", config.e2ee.one_time_keys_per_algorithm, 1, 1'000'000},
      {"limits.account_data_value_bytes", size(config.accounts.account_data_value_bytes), 2},
      {"limits.account_data_entries", config.accounts.account_data_entries, 1},
      {"limits.filters_per_user", config.timeline.filters_per_user, 1},
      {"limits.devices_per_user", config.accounts.devices_per_user, 1},
      {"limits.push_rules_per_user", config.push.push_rules_per_user, 1},
      {"limits.pushers_per_user", config.push.pushers_per_user, 1},
      {"limits.reports_per_user", config.moderation.reports_per_user, 1},
      {"limits.aliases_per_user", config.timeline.aliases_per_user, 1},
      {"limits.backup_keys_per_user", config.e2ee.backup_keys_per_user, 1},
      {"rooms.cache_state_events", config.timeline.room_cache_state_events, 1},
      {"storage.page_cache_mb", size(config.server.page_cache_mb), 1, 4096},
  };
  for (const Range& range : ranges) {
    if (range.value < range.least || range.value > range.most)
      return core::fail(
          core::Errc::kUnknown,
          std::string(range.key) + " must be at least " + std::to_string(range.least) +
              (range.most < std::numeric_limits<std::int64_t>::max() ? " and at most " + std::to_string(range.most)
                                                                     : std::string()));
  }
  return {};
}

// The domains that name local IDs get the one server_name.
void share_server_name(Config& config) {
  for (std::string* name :
       {&config.timeline.server_name, &config.accounts.server_name, &config.media.server_name, &config.e2ee.server_name,
        &config.membership.server_name, &config.moderation.server_name, &config.federation.server_name})
    *name = config.server_name;
}

// An "ip:port" or "[ipv6]:port" of federation.resolve.
bool is_ip_and_port(const std::string& text) {
  auto name = core::ServerName::parse(text);
  if (!name || !name->port()) return false;
  const std::string host(name->host());
  if (host.starts_with('[')) return true;  // parse() checked the address
  in_addr v4;
  return ::inet_pton(AF_INET, host.c_str(), &v4) == 1;
}

core::Status check_federation(const Config& config) {
  const auto& federation = config.federation;
  for (const auto& [name, address] : federation.resolve) {
    if (!core::is_valid_server_name(name))
      return core::fail(core::Errc::kUnknown, "federation.resolve: " + name + " is not a server name");
    if (!is_ip_and_port(address))
      return core::fail(core::Errc::kUnknown, "federation.resolve: " + name + " must map to an ip:port");
  }
  for (const auto* list : {&federation.allowed_servers, &federation.denied_servers})
    for (const auto& pattern : *list)
      if (!core::is_valid_server_name(pattern.starts_with("*.") ? pattern.substr(2) : pattern))
        return core::fail(core::Errc::kUnknown,
                          "federation.allowed_servers and denied_servers hold server names "
                          "(or *.domain), not " +
                              pattern);
  if (config.server.tls_certificate.empty() != config.server.tls_private_key.empty())
    return core::fail(core::Errc::kUnknown, "federation.tls_certificate and tls_private_key go together");
  return {};
}

}  // namespace

core::Result<Config> load_config(const std::string& path) {
  Config config;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return core::fail(core::Errc::kUnknown, "Cannot read config " + path + ": " + e.what());
  }
  if (!root.IsMap()) return core::fail(core::Errc::kUnknown, "Config " + path + " is not a YAML mapping");
  std::set<std::string> known;
  for (const auto& option : options()) {
    auto parts = split_key(option.key);
    known.insert(parts.front());
    YAML::Node node = YAML::Clone(root);
    bool present = true;
    for (const auto& part : parts) {
      if (!node.IsMap() || !node[part]) {
        present = false;
        break;
      }
      node = node[part];
    }
    if (!present) continue;
    try {
      option.read(config, node);
    } catch (const YAML::Exception&) {
      return core::fail(core::Errc::kUnknown, std::string("Config key ") + option.key + " has a wrong value");
    }
  }
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    if (!known.contains(key)) return core::fail(core::Errc::kUnknown, "Unknown config key " + key);
  }
  // Every local ID ends in it, and the typed IDs made from them refuse what is not a server name.
  if (!core::is_valid_server_name(config.server_name))
    return core::fail(core::Errc::kUnknown, "server_name must be a host name or IP address, with an optional :port");
  if (auto bounds = check_limits(config); !bounds) return std::unexpected(bounds.error());
  if (auto federation = check_federation(config); !federation) return std::unexpected(federation.error());
  if (config.membership.encryption_by_default != "off" && config.membership.encryption_by_default != "direct" &&
      config.membership.encryption_by_default != "invite" && config.membership.encryption_by_default != "all")
    return core::fail(core::Errc::kUnknown, "rooms.encryption_by_default must be off, direct, invite or all");
  for (const auto& uri : config.voip.turn_uris)
    if (!uri.starts_with("turn:") && !uri.starts_with("turns:"))
      return core::fail(core::Errc::kUnknown, "voip.turn_uris must be turn: or turns: URIs");
  if (config.voip.turn_user_lifetime_s <= 0 || config.voip.turn_user_lifetime_s > 7 * 24 * 3600)
    return core::fail(core::Errc::kUnknown, "voip.turn_user_lifetime must be between 1 and 604800 seconds");
  if (!config.voip.turn_uris.empty() && config.voip.turn_shared_secret.empty() &&
      (config.voip.turn_username.empty() || config.voip.turn_password.empty()))
    return core::fail(core::Errc::kUnknown,
                      "voip.turn_uris needs voip.turn_shared_secret, or voip.turn_username and voip.turn_password");
  if (config.server.header_timeout_seconds == 0 || config.server.header_timeout_seconds > 3600)
    return core::fail(core::Errc::kUnknown, "limits.header_timeout_seconds must be between 1 and 3600 seconds");
  share_server_name(config);
  std::filesystem::path data_dir(config.server.data_dir);
  if (data_dir.is_relative())
    config.server.data_dir = (std::filesystem::absolute(path).parent_path() / data_dir).lexically_normal().string();
  return config;
}

std::string render_config(const Config& config) {
  std::string out =
      "# myelin configuration. Every option is listed with its documentation;\n"
      "# privacy-relevant defaults are the most private the protocol allows.\n";
  std::string section;
  for (const auto& option : options()) {
    auto parts = split_key(option.key);
    std::string name = parts.back();
    std::string indent;
    if (parts.size() == 2) {
      if (parts.front() != section) {
        section = parts.front();
        out += "\n" + section + ":\n";
      }
      indent = "  ";
    } else {
      section.clear();
      out += "\n";
    }
    out += indent + "# " + option.doc + "\n" + indent + name + ": " + option.write(config) + "\n";
  }
  return out;
}

std::string render_config_markdown() {
  std::string out = "| key | default | meaning |\n| --- | --- | --- |\n";
  Config defaults;
  for (const auto& option : options())
    out += std::string("| `") + option.key + "` | `" + option.write(defaults) + "` | " + option.doc + " |\n";
  return out;
}

}  // namespace myelin::app
