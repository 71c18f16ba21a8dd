#pragma once
// How the federation domain talks to other servers: one request to one destination server
// name, sent off the event loop. The implementation (https_transport.h) resolves the name
// (server-server-api "Resolving server names"), connects with verified TLS, signs the request
// with X-Matrix (x_matrix.h) when asked, and bounds the answer's size and time. Nothing in
// this domain opens a socket itself, so tests hand the services a fake transport.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"

namespace myelin::homeserver {

struct OutgoingRequest {
  std::string destination;          // the server name, as in its users' IDs ("example.org", "example.org:8448")
  std::string method;               // "GET", "PUT" or "POST"
  std::string target;               // path and query as sent, percent-encoded: "/_matrix/federation/v1/version"
  std::optional<json::value> body;  // sent as JSON (and signed with it)
  bool sign = true;                 // X-Matrix; fetching a server's own keys needs none
  std::size_t max_response_bytes = 1 << 20;
  std::chrono::seconds timeout{30};
};

struct IncomingResponse {
  // 0 when no answer came: unresolvable, unreachable, TLS failed, timed out, too large or not
  // HTTP (`error` says which, for logs).
  int status = 0;
  std::string body;
  std::string error;
  std::vector<std::pair<std::string, std::string>> headers;  // as received (Content-Type, Location, ...)

  // The first header of that name, case-insensitively; empty when absent.
  std::string_view header(std::string_view name) const {
    for (const auto& [key, value] : headers)
      if (key.size() == name.size() &&
          std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) { return (a | 0x20) == (b | 0x20); }))
        return value;
    return {};
  }
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends `request`; `done` runs on the event loop exactly once, with the answer or status 0.
  virtual void send(OutgoingRequest request, std::function<void(IncomingResponse)> done) = 0;
  // GET of an https URL another server pointed us to (a media download's `Location`): unsigned,
  // no redirects, the same TLS checks and the same refusal of private addresses as send(), at
  // most `max_bytes` and `timeout`; status 0 for a URL that is not https. `done` as for send().
  virtual void fetch_url(std::string url, std::size_t max_bytes, std::chrono::seconds timeout,
                         std::function<void(IncomingResponse)> done) = 0;
};

}  // namespace myelin::homeserver
