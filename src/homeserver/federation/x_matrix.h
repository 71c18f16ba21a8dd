#pragma once
// Request authentication between servers (server-server-api "Request Authentication"): the
// X-Matrix Authorization header, made by the sender over the request's method, target, origin,
// destination and JSON body; and its parser, for requests we receive.
#include <optional>
#include <string>
#include <string_view>

#include "core/crypto.h"
#include "core/json.h"

namespace myelin::homeserver {

struct SignedRequest {
  std::string_view method;
  std::string_view target;  // "/_matrix/..." with the query, as sent
  std::string_view origin;
  std::string_view destination;
  const json::value* content = nullptr;  // the JSON body, or nullptr when there is none
};

// The JSON object both sides sign and verify: method, uri, origin, destination and content.
json::object request_json(const SignedRequest& request);

// The Authorization header value for `request` signed with `key`: `X-Matrix origin="…",
// destination="…",key="…",sig="…"`, in the compatible form the spec asks senders to use.
std::string x_matrix_authorization(const SignedRequest& request, const core::SigningKey& key);

struct XMatrix {
  std::string origin;
  std::string destination;  // "" when the sender left it out (before v1.3)
  std::string key;          // key ID
  std::string sig;
};

// The header `X-Matrix origin=…,destination=…,key=…,sig=…`: scheme and names
// case-insensitive, values quoted (with backslash escapes) or bare tokens (colons allowed),
// spaces and tabs around commas, unknown parameters ignored. nullopt when it is not X-Matrix
// or lacks origin, key or sig.
std::optional<XMatrix> parse_x_matrix(std::string_view header);

}  // namespace myelin::homeserver
