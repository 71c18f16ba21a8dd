#include "homeserver/federation/discovery.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "core/ids.h"
#include "core/json.h"
#include "http/client.h"

namespace myelin::homeserver {
namespace {

constexpr std::uint16_t kDefaultPort = 8448;
constexpr int kMaxRedirects = 5;
constexpr std::size_t kWellKnownMaxBytes = 64 << 10;
constexpr auto kWellKnownTimeout = std::chrono::seconds(10);
// An answer found through SRV is kept at most this long: DNS may move it sooner than a
// /.well-known answer would.
constexpr auto kSrvLifetime = std::chrono::hours(1);

// The address inside an IP-literal host ("1.2.3.4", "[::1]" → "::1"), or nullopt for a name.
std::optional<std::string> ip_literal(std::string_view host) {
  if (host.starts_with('[')) return std::string(host.substr(1, host.size() - 2));  // ServerName checked the form
  in_addr v4;
  if (::inet_pton(AF_INET, std::string(host).c_str(), &v4) == 1) return std::string(host);
  return std::nullopt;
}

// "ip:port" or "[ip]:port" (federation.resolve's values, checked at config load).
std::optional<ServerAddress> configured_address(const std::string& server_name, const std::string& value) {
  auto target = core::ServerName::parse(value);
  auto name = core::ServerName::parse(server_name);
  if (!target || !target->port() || !name) return std::nullopt;
  auto ip = ip_literal(target->host());
  if (!ip) return std::nullopt;
  std::string tls_name = ip_literal(name->host()).value_or(std::string(name->host()));
  return ServerAddress{*ip, static_cast<std::uint16_t>(*target->port()), std::move(tls_name), server_name, true};
}

// Where `delegated` (a valid m.server, or the server name itself) leads when its host is an IP
// literal or it has a port (steps 1, 2, 3.1, 3.2); nullopt when SRV and DNS must decide.
// `host_header`: what the Host header carries then.
std::optional<ServerAddress> direct_address(const core::ServerName& name, const std::string& host_header) {
  const std::string host(name.host());
  if (auto ip = ip_literal(host))
    return ServerAddress{*ip, static_cast<std::uint16_t>(name.port().value_or(kDefaultPort)), *ip, host_header, false};
  if (name.port()) return ServerAddress{host, static_cast<std::uint16_t>(*name.port()), host, host_header, false};
  return std::nullopt;
}

std::optional<std::int64_t> max_age(std::string_view cache_control) {
  std::string lower(cache_control);
  std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.find("no-store") != std::string::npos || lower.find("no-cache") != std::string::npos) return 0;
  const std::size_t at = lower.find("max-age=");
  if (at == std::string::npos) return std::nullopt;
  std::int64_t seconds = 0;
  std::size_t i = at + 8;
  if (i >= lower.size() || !std::isdigit(static_cast<unsigned char>(lower[i]))) return std::nullopt;
  for (; i < lower.size() && std::isdigit(static_cast<unsigned char>(lower[i])); ++i)
    seconds = std::min<std::int64_t>(seconds * 10 + (lower[i] - '0'), 1'000'000'000);
  return seconds;
}

// m.server of a 200 answer, when it is a JSON object with a valid server name there.
std::optional<std::string> delegated_name(const http::HttpsResponse& response) {
  if (response.status != 200) return std::nullopt;
  auto body = core::parse_json_object(response.body);
  if (!body) return std::nullopt;
  const auto* server = body->if_contains("m.server");
  if (!server || !server->is_string()) return std::nullopt;
  std::string value(server->as_string());
  if (!core::ServerName::parse(value)) return std::nullopt;
  return value;
}

}  // namespace

std::optional<SrvRecord> choose_srv(std::vector<SrvRecord> records) {
  std::erase_if(records, [](const SrvRecord& r) { return r.target.empty() || r.target == "."; });
  if (records.empty()) return std::nullopt;
  return *std::ranges::min_element(records, [](const SrvRecord& a, const SrvRecord& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.weight > b.weight;
  });
}

std::vector<SrvRecord> lookup_srv(const std::string& name) {
  struct __res_state state {};
  if (::res_ninit(&state) != 0) return {};
  std::vector<unsigned char> answer(8192);
  int length = ::res_nquery(&state, name.c_str(), ns_c_in, ns_t_srv, answer.data(), static_cast<int>(answer.size()));
  ::res_nclose(&state);
  if (length <= 0) return {};
  length = std::min(length, static_cast<int>(answer.size()));  // a truncated answer: what arrived
  ns_msg message;
  if (::ns_initparse(answer.data(), length, &message) != 0) return {};
  std::vector<SrvRecord> records;
  for (int i = 0; i < ns_msg_count(message, ns_s_an); ++i) {
    ns_rr record;
    if (::ns_parserr(&message, ns_s_an, i, &record) != 0) break;
    if (ns_rr_type(record) != ns_t_srv || ns_rr_rdlen(record) < 7) continue;
    const unsigned char* data = ns_rr_rdata(record);
    char target[NS_MAXDNAME];
    if (::dn_expand(ns_msg_base(message), ns_msg_end(message), data + 6, target, sizeof target) < 0) continue;
    auto u16 = [](const unsigned char* at) { return static_cast<std::uint16_t>(ns_get16(at)); };
    records.push_back(SrvRecord{u16(data), u16(data + 2), u16(data + 4), target});
  }
  return records;
}

DiscoveryNetwork system_network(http::HttpsClient& client, http::Scheduler& scheduler) {
  DiscoveryNetwork network;
  network.fetch = [&client](http::HttpsRequest request, std::function<void(http::HttpsResponse)> done) {
    client.send(std::move(request), std::move(done));
  };
  network.srv = [&scheduler](const std::string& name, std::function<void(std::optional<SrvRecord>)> done) {
    auto records = std::make_shared<std::vector<SrvRecord>>();
    scheduler.run_waiting([name, records] { *records = lookup_srv(name); },
                          [records, done = std::move(done)] { done(choose_srv(std::move(*records))); });
  };
  return network;
}

std::function<bool(const std::string& ip)> federation_address_check(const FederationOptions& options) {
  return [allowlist = options.ip_allowlist](const std::string& ip) { return http::is_allowed_address(ip, allowlist); };
}

Discovery::Discovery(const FederationOptions& options, DiscoveryNetwork network, std::size_t max_cached)
    : options_(options), network_(std::move(network)), max_cached_(std::max<std::size_t>(max_cached, 1)) {}

std::chrono::seconds Discovery::well_known_lifetime(const http::HttpsResponse* success, int failures_in_a_row) {
  using std::chrono::seconds;
  if (!success) return std::min<seconds>(seconds(300) * (1 << std::clamp(failures_in_a_row - 1, 0, 4)), seconds(3600));
  const auto age = max_age(success->header("Cache-Control"));
  if (!age) return seconds(24 * 3600);
  return seconds(std::clamp<std::int64_t>(*age, 300, 48 * 3600));
}

void Discovery::resolve(const std::string& server_name, Done done) {
  if (auto configured = options_.resolve.find(server_name); configured != options_.resolve.end()) {
    if (auto address = configured_address(server_name, configured->second)) return done(*address);
    return done(std::unexpected("federation.resolve has no ip:port for " + server_name));
  }
  const auto name = core::ServerName::parse(server_name);
  if (!name) return done(std::unexpected(server_name + " is not a server name"));
  if (auto address = direct_address(*name, server_name)) return done(*address);  // steps 1 and 2

  const auto now = network_.now();
  int failures = 0;
  if (auto cached = cache_.find(server_name); cached != cache_.end()) {
    if (cached->second.expires > now) return done(cached->second.address);
    failures = cached->second.failures;
  }
  auto [waiting, first] = pending_.try_emplace(server_name);
  waiting->second.push_back(std::move(done));
  if (!first) return;  // the resolution under way answers it too

  const std::string host(name->host());
  fetch_well_known(
      host, 443, "/.well-known/matrix/server", 0, failures, [this, server_name, host, failures](WellKnown well_known) {
        const auto expires = network_.now() + well_known.lifetime;
        const int failures_now = well_known.delegated ? 0 : failures + 1;
        auto keep = [this, server_name, expires, failures_now](ServerAddress address, bool by_srv) {
          remember(server_name,
                   Cached{address, by_srv ? std::min(expires, network_.now() + kSrvLifetime) : expires, failures_now});
          finish(server_name, std::move(address));
        };
        if (!well_known.delegated)  // steps 4 to 6
          return by_srv(host, [keep](ServerAddress address) { keep(std::move(address), true); });
        const auto delegated = core::ServerName::parse(*well_known.delegated);  // checked valid when read
        if (auto address = direct_address(*delegated, *well_known.delegated)) return keep(*address, false);  // 3.1, 3.2
        by_srv(std::string(delegated->host()),
               [keep](ServerAddress address) { keep(std::move(address), true); });  // 3.3 to 3.5
      });
}

void Discovery::fetch_well_known(std::string url_host, std::uint16_t port, std::string target, int hops, int failures,
                                 std::function<void(WellKnown)> done) {
  http::HttpsRequest request;
  request.host = url_host;
  request.port = port;
  request.tls_name = url_host;
  request.host_header = port == 443 ? url_host : url_host + ":" + std::to_string(port);
  request.target = std::move(target);
  request.max_response_bytes = kWellKnownMaxBytes;
  request.timeout = kWellKnownTimeout;
  request.may_connect = federation_address_check(options_);
  network_.fetch(std::move(request),
                 [this, url_host, port, hops, failures, done = std::move(done)](http::HttpsResponse response) mutable {
                   const bool redirect = response.status == 301 || response.status == 302 || response.status == 303 ||
                                         response.status == 307 || response.status == 308;
                   const std::string location(response.header("Location"));
                   if (redirect && hops < kMaxRedirects && !location.empty()) {
                     if (location.starts_with('/') && !location.starts_with("//"))
                       return fetch_well_known(url_host, port, location, hops + 1, failures, std::move(done));
                     if (auto url = http::parse_http_url(location); url && url->tls) {
                       int next_port = 0;
                       try {
                         next_port = std::stoi(url->port);
                       } catch (const std::exception&) {
                       }
                       if (next_port > 0 && next_port < 65536)
                         return fetch_well_known(url->host, static_cast<std::uint16_t>(next_port), url->path, hops + 1,
                                                 failures, std::move(done));
                     }
                   }
                   if (auto delegated = delegated_name(response))
                     return done(WellKnown{std::move(delegated), well_known_lifetime(&response, 0)});
                   done(WellKnown{std::nullopt, well_known_lifetime(nullptr, failures + 1)});
                 });
}

void Discovery::by_srv(const std::string& host, std::function<void(ServerAddress)> done) {
  network_.srv("_matrix-fed._tcp." + host, [this, host, done = std::move(done)](std::optional<SrvRecord> record) {
    if (record) return done(ServerAddress{record->target, record->port, host, host, false});
    // Deprecated, but still what many servers publish.
    network_.srv("_matrix._tcp." + host, [host, done](std::optional<SrvRecord> legacy) {
      if (legacy) return done(ServerAddress{legacy->target, legacy->port, host, host, false});
      done(ServerAddress{host, kDefaultPort, host, host, false});
    });
  });
}

void Discovery::finish(const std::string& server_name, std::expected<ServerAddress, std::string> result) {
  auto waiting = pending_.extract(server_name);
  if (waiting.empty()) return;
  for (auto& done : waiting.mapped()) done(result);
}

void Discovery::remember(const std::string& server_name, Cached cached) {
  if (auto existing = cache_.find(server_name); existing != cache_.end()) {
    existing->second = std::move(cached);
    return;
  }
  if (cache_.size() >= max_cached_) {
    cache_.erase(cache_order_.front());
    cache_order_.pop_front();
  }
  cache_order_.push_back(server_name);
  cache_.emplace(server_name, std::move(cached));
}

}  // namespace myelin::homeserver
