#pragma once
// The federation domain's settings (app/config_file.cc documents each as federation.*). The
// TLS listener's own settings (address, port, certificate, key) are the HTTP server's, in
// app/config.h.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace myelin::homeserver {

// A key this server signed with before a rotation (`myelin signing-key rotate`).
struct OldVerifyKey {
  std::string key_id;
  std::string public_key;  // unpadded base64
  std::int64_t expired_ts = 0;
};

struct FederationOptions {
  std::string server_name;  // ours, set by app/ from the top-level server_name
  // Our keys before the current one (app/ reads them from signing.key.old beside signing.key):
  // published as old_verify_keys, so that events we signed with them still verify.
  std::vector<OldVerifyKey> old_verify_keys;
  // Privacy default: off. Federation shares the rooms' contents and members with the other
  // servers in them; nothing is sent to another server, or accepted from one, unless on.
  bool enabled = false;
  // Certificate authorities trusted for outgoing TLS besides the system's (PEM; "": none).
  std::string ca_file;
  // Off: other servers' certificates are not checked, so anyone on the path can read and change
  // the traffic. For test networks whose servers have self-signed certificates (sytest) only.
  bool verify_certificates = true;
  // Server name → "ip:port" (IPv6 as "[::1]:8448"): that server is reached there, with TLS
  // verifying its host name and its server name as the Host header, in place of every step of
  // server discovery (no .well-known, SRV or DNS). For tests and split-horizon setups.
  std::map<std::string, std::string> resolve;
  // Server names (host part; "*.example.org" also matches every subdomain) this server talks
  // to: empty for all. denied_servers wins over it.
  std::vector<std::string> allowed_servers;
  std::vector<std::string> denied_servers;
  // Comma-separated address ranges that discovered servers may have although they are private
  // or loopback; otherwise only public addresses are contacted, since anyone can name a server.
  // Servers in `resolve` are exempt.
  std::string ip_allowlist;
  // Key notaries (server names) asked for a server's keys when that server cannot be reached
  // itself. PRIVACY: none by default; a notary learns which servers this one talks to.
  std::vector<std::string> trusted_key_servers;
  // Act as a key notary for other servers (POST /_matrix/key/v2/query): off by default, since
  // it makes this server fetch keys from servers others name.
  bool serve_key_notary = false;
  // PRIVACY: a profile query from another server (GET /_matrix/federation/v1/query/profile)
  // is answered only for a user who shares a room with a user of that server.
  bool profile_requires_shared_room = true;
  // PRIVACY: off by default. Serve the published room directory to other servers (GET/POST
  // /_matrix/federation/v1/publicRooms); off, they get 403 M_FORBIDDEN.
  bool serve_public_rooms = false;

  // Whether this server sends requests to, and accepts requests from, `server_name` (a server
  // name, with or without a port): allowed_servers and denied_servers, compared
  // case-insensitively on the host part. Both the transport and the request authentication ask.
  bool may_talk_to(std::string_view server_name) const;
};

}  // namespace myelin::homeserver
