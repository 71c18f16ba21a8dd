#pragma once
// An asynchronous HTTPS client for requests to other servers (federation): the caller names
// the host to connect to and the name its certificate must carry, so that server discovery
// (which decides both) stays above this layer. It runs on the server's connection thread, so
// a slow peer holds a socket and a timer, never a thread; answers come back on the event
// loop. No redirects are followed. The certificate is verified against the system's trust
// store and an optional extra CA file, and its name against `tls_name`.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace myelin::http {

struct HttpsRequest {
  std::string host;  // to connect to: a host name (resolved with A/AAAA) or an IP literal (no brackets)
  std::uint16_t port = 443;
  // The name the certificate must be valid for: a host name (also sent as SNI) or an IP
  // literal (no brackets; checked against the certificate's IP addresses, and no SNI).
  std::string tls_name;
  std::string host_header;
  std::string method = "GET";
  std::string target = "/";  // path and query, percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> json_body;  // sent as application/json
  std::size_t max_response_bytes = 1 << 20;
  std::chrono::milliseconds timeout{30000};  // the whole request: resolving, connecting, TLS, writing, reading
  // Checked on every address `host` resolves to (an IP literal too) before connecting; one
  // refused address refuses the request. Unset: any address.
  std::function<bool(const std::string& ip)> may_connect;
};

struct HttpsResponse {
  // 0 when no answer came (unresolvable, refused address, unreachable, TLS failed, timed out,
  // too large, not HTTP): `error` says which, for logs.
  int status = 0;
  std::string body;
  std::string error;
  std::vector<std::pair<std::string, std::string>> headers;

  // Case-insensitive; empty when absent.
  std::string_view header(std::string_view name) const;
};

class HttpsClient {
 public:
  virtual ~HttpsClient() = default;
  // Called on the event loop; `done` runs there exactly once, later (never inside send()).
  virtual void send(HttpsRequest request, std::function<void(HttpsResponse)> done) = 0;
};

struct HttpsClientOptions {
  std::string ca_file;              // PEM certificate authorities trusted besides the system's ("": none)
  bool verify_certificates = true;  // false: any certificate is accepted (test networks only)
  std::size_t max_in_flight = 256;  // requests under way at once; beyond, they fail at once (status 0)
};

}  // namespace myelin::http
