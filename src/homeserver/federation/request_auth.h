#pragma once
// Verification of requests from other servers (server-server-api "Request Authentication"):
// the X-Matrix Authorization header (x_matrix.h) and its signature, checked with the origin's
// key (fetched through the KeyFetcher).
#include <functional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "homeserver/federation/options.h"
#include "homeserver/federation/pdu_checks.h"

namespace myelin::homeserver {

struct IncomingServerRequest {
  std::string_view method;
  std::string_view target;  // path and query as received, percent-encoded
  std::string_view body;    // "" when there is none
  std::string_view authorization;
};

class RequestAuthenticator {
 public:
  RequestAuthenticator(const FederationOptions& options, KeyFetcher& keys) : options_(options), keys_(keys) {}

  // `done` (on the loop, once, possibly before this returns) gets the origin, or the error to
  // answer: M_UNAUTHORIZED (401) for a missing or malformed header, a destination other than
  // us, an origin that is us, a key we cannot get or a signature that does not verify;
  // M_INVALID_PARAM (400) for an origin that is no server name ("example.org:http"); M_FORBIDDEN (403) for an origin
  // federation.allowed_servers / denied_servers refuse, or while federation is disabled; M_NOT_JSON (400) for a body
  // that is not JSON. The strings `request` views must stay valid until `done` runs.
  void authenticate(const IncomingServerRequest& request, std::function<void(core::Result<std::string>)> done);

 private:
  const FederationOptions& options_;
  KeyFetcher& keys_;
};

}  // namespace myelin::homeserver
