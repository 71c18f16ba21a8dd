#pragma once
// An outgoing HTTP(S) GET for fetching third-party pages (URL previews), or a POST of a body
// (push gateways: FetchOptions::method), hardened against
// server-side request forgery: every address a host name resolves to is checked with
// `may_connect` before connecting (so DNS cannot point it at the server's own network), each
// redirect is checked again, and size and time are bounded. TLS verifies the certificate
// against the system's trust store and the host name. Blocking: call it off the event loop.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace myelin::http {

struct FetchOptions {
  std::function<bool(const std::string& ip)> may_connect;  // textual address, v4 or v6
  std::size_t max_body_bytes = 1 << 20;
  std::chrono::seconds timeout{10};  // for the whole fetch
  int max_redirects = 3;
  std::string user_agent = "myelin";
  std::string method = "GET";  // or "POST", which sends `body` as `body_type`
  std::string body;
  std::string body_type = "application/json";
  std::string authorization;  // the Authorization header's value ("": none)
  std::string ca_file;        // a PEM file of certificate authorities trusted besides the system's ("": none)
};

struct FetchResult {
  int status = 0;
  std::string content_type;
  std::string body;  // at most max_body_bytes (truncated beyond)
  std::string final_url;
};

struct FetchError {
  enum Kind { kBadUrl, kBlocked, kUnreachable, kTooLarge } kind;
  std::string message;
};

std::optional<FetchResult> fetch(const std::string& url, const FetchOptions& options, FetchError& error);

class Scheduler;
// fetch() on a Scheduler::run_waiting thread, for a caller on the event loop: `done` runs there
// with the status (0 when no answer came) and the body (or, without an answer, the error).
struct FetchAnswer {
  int status = 0;
  std::string body;
};
void fetch_waiting(Scheduler& scheduler, std::string url, FetchOptions options, std::function<void(FetchAnswer)> done);

// An absolute http(s) URL's parts as fetch() reads them, or nullopt when it could not fetch it
// (another scheme, no host, user info, malformed).
struct HttpUrl {
  bool tls = false;
  std::string host, port, path;  // path without the query
  std::string target;            // path and query as sent ("/" for an empty path)
};
std::optional<HttpUrl> parse_http_url(const std::string& url);

// Whether an IP address is public (not loopback, private, link-local, CGNAT, multicast,
// reserved or unspecified, in v4 or v6, IPv4-mapped included).
bool is_public_address(const std::string& ip);
// Whether `ip` is public or inside one of the comma-separated ranges of `allowlist`.
bool is_allowed_address(const std::string& ip, std::string_view allowlist);
// Whether `ip` is inside the CIDR range `range` ("10.0.0.0/8", "::1/128", or a bare address).
bool address_in_range(const std::string& ip, const std::string& range);

}  // namespace myelin::http
