#pragma once
// Server discovery (server-server-api "Resolving server names"): a server name → the host and
// port to connect to, the name its certificate must carry and the Host header, following the
// spec's steps: an IP literal, an explicit port, /.well-known/matrix/server (redirects
// followed, cached), SRV _matrix-fed._tcp then the deprecated _matrix._tcp, port 8448.
// federation.resolve short-circuits all of it. The network is injected (DiscoveryNetwork), so
// the decisions are tested without one.
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "homeserver/federation/options.h"
#include "http/http.h"
#include "http/https_client.h"

namespace myelin::homeserver {

// Where one server's requests go.
struct ServerAddress {
  std::string host;  // to connect to: a host name (its A/AAAA records at connect time) or an IP literal, no brackets
  std::uint16_t port = 8448;
  std::string tls_name;  // what the certificate must be valid for: a host name, or an IP literal without brackets
  std::string host_header;
  bool configured = false;  // from federation.resolve: exempt from the address check

  bool operator==(const ServerAddress&) const = default;
};

struct SrvRecord {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;  // without the trailing dot; "." (empty here) means "no such service"
};

// The record to use (lowest priority, then highest weight); nullopt when there is none or the
// only target is "." (RFC 2782: the service is decidedly not available there).
std::optional<SrvRecord> choose_srv(std::vector<SrvRecord> records);

// The SRV records of `name` ("_matrix-fed._tcp.example.org") through the system resolver
// (libresolv); empty when none or on failure. Blocking: off the event loop.
std::vector<SrvRecord> lookup_srv(const std::string& name);

// What discovery asks of the network; every callback runs on the event loop.
struct DiscoveryNetwork {
  // One HTTPS request, no redirects followed (http::HttpsClient::send).
  std::function<void(http::HttpsRequest, std::function<void(http::HttpsResponse)>)> fetch;
  // The SRV record of `name` to use, or nullopt.
  std::function<void(const std::string& name, std::function<void(std::optional<SrvRecord>)>)> srv;
  std::function<std::chrono::steady_clock::time_point()> now = [] { return std::chrono::steady_clock::now(); };
};

// The real network: `client` for /.well-known, lookup_srv on the scheduler's network pool.
DiscoveryNetwork system_network(http::HttpsClient& client, http::Scheduler& scheduler);

// Addresses a discovered server may have: public ones, and those in federation.ip_allowlist.
std::function<bool(const std::string& ip)> federation_address_check(const FederationOptions& options);

class Discovery {
 public:
  // Remembers at most `max_cached` servers' answers (the oldest go first).
  Discovery(const FederationOptions& options, DiscoveryNetwork network, std::size_t max_cached = 10000);
  using Done = std::function<void(std::expected<ServerAddress, std::string>)>;
  // `done` runs on the event loop with where `server_name` is reached, or why it cannot be;
  // at once when the answer needs no network (an IP literal, a port, resolve, the cache).
  void resolve(const std::string& server_name, Done done);

  // How long a /.well-known answer is kept: its Cache-Control max-age within 5 minutes and 48
  // hours, 24 hours without one; a failure (an error status, no answer, an invalid body) 5
  // minutes, doubling with each failure in a row up to an hour. Exposed for tests.
  static std::chrono::seconds well_known_lifetime(const http::HttpsResponse* success, int failures_in_a_row);

 private:
  struct WellKnown {
    std::optional<std::string> delegated;  // m.server, when the answer was valid
    std::chrono::seconds lifetime{0};
  };
  struct Cached {
    ServerAddress address;
    std::chrono::steady_clock::time_point expires;
    int failures = 0;  // /.well-known failures in a row
  };
  // GET https://url_host:port/target, following up to 5 redirects (to https only).
  void fetch_well_known(std::string url_host, std::uint16_t port, std::string target, int hops, int failures,
                        std::function<void(WellKnown)> done);
  // Steps 3.3 to 3.5, or 4 to 6: SRV _matrix-fed._tcp, _matrix._tcp, then port 8448.
  void by_srv(const std::string& host, std::function<void(ServerAddress)> done);
  void finish(const std::string& server_name, std::expected<ServerAddress, std::string> result);
  void remember(const std::string& server_name, Cached cached);

  const FederationOptions& options_;
  DiscoveryNetwork network_;
  std::size_t max_cached_;
  std::unordered_map<std::string, Cached> cache_;
  std::list<std::string> cache_order_;                          // oldest first
  std::unordered_map<std::string, std::vector<Done>> pending_;  // resolutions under way, by server name
};

}  // namespace myelin::homeserver
