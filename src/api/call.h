#pragma once
// What a client-API handler works with: the request, the authenticated session (when the
// route needs one), the homeserver's services, the API's own options, and ways to answer.
// Every handler is `void(Call&)` and answers once, now or later (/sync keeps a copy of the
// responder); a call whose copies are all gone unanswered (an exception in a continuation)
// gets 500 M_UNKNOWN from the HTTP layer.
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "api/options.h"
#include "core/error.h"
#include "core/ids.h"
#include "core/json.h"
#include "homeserver/homeserver.h"
#include "http/http.h"

namespace myelin::api {

struct Call {
  http::Request& request;
  std::optional<homeserver::Session> session;
  std::optional<std::string> server_origin;  // routes marked kServer: the verified requesting server
  homeserver::Homeserver& hs;
  http::Responder respond;
  std::string_view route;  // the route's pattern, without the client API prefix ("/sendToDevice/{eventType}/{txnId}")
  const ClientApiOptions& options;

  // The session of an authenticated route (routes marked kUser always have one).
  const homeserver::Session& user() const { return *session; }
  // The server name of the server that signed the request (routes marked kServer always have one).
  const std::string& origin() const { return *server_origin; }

  void reply(const json::value& body, int status = 200) const;
  void reply(const json::object& body, int status = 200) const;  // without a copy
  void fail(const core::Error& error) const;
  // Answers a service's result: its error, else the value ({} for a Status).
  template <class T>
  void answer(const core::Result<T>& result) const {
    if (!result) return fail(result.error());
    if constexpr (std::is_void_v<T>) reply(json::object{});
    else reply(*result);
  }
  // The body as a JSON object: M_NOT_JSON when it is not JSON, M_BAD_JSON when not an
  // object. An empty body is an empty object.
  core::Result<json::object> body() const;
  // Path parameter `i` of the route pattern.
  const std::string& param(std::size_t i) const { return request.params.at(i); }
  // Path parameter `i` as a typed identifier, for a route whose parameter `i` is a {userId},
  // {roomId} or {eventId}. The route layer refused a malformed one already (M_INVALID_PARAM,
  // routes.cc), so for those these cannot fail; for any other parameter a malformed value is
  // M_INVALID_PARAM too, never a crash.
  core::Result<core::UserId> user_id_param(std::size_t i) const;
  core::Result<core::RoomId> room_id_param(std::size_t i) const;
  core::Result<core::EventId> event_id_param(std::size_t i) const;
  // The client transaction of a route with a {txnId} (client-server-api "Transaction
  // identifiers": the same device, the same endpoint and the same ID make a retransmission):
  // the endpoint is the route with its parameters, so r0 and v3, and differently escaped
  // spellings of one path, are one endpoint. nullopt for routes without a {txnId}.
  std::optional<storage::Transaction> transaction() const;
};

http::Response json_response(const json::value& body, int status = 200);
http::Response json_response(const json::object& body, int status = 200);  // without a copy
http::Response error_response(const core::Error& error);

// Typed reads of request fields: M_BAD_JSON when present with the wrong type, M_MISSING_PARAM
// when required and absent.
core::Result<std::string> required_string(const json::object& object, std::string_view key);
core::Result<std::optional<std::string>> optional_string(const json::object& object, std::string_view key);
core::Result<std::optional<bool>> optional_bool(const json::object& object, std::string_view key);
// An optional token query parameter (from, to, since): an empty value counts as absent, as
// older clients (Quaternion) send `from=` for "no token".
std::optional<std::string> token_query_param(const http::Request& request, std::string_view name);
// A stream-position token query parameter (/messages from and to, /events from): nullopt when
// absent or empty; M_INVALID_PARAM when it is not a token.
// `history`: also a token into backfilled history (homeserver::parse_pagination_token).
core::Result<std::optional<storage::StreamPos>> stream_token_param(const http::Request& request, std::string_view name,
                                                                   bool history = false);
// An integer query parameter (`fallback` when absent); M_INVALID_PARAM when not an integer.
core::Result<std::int64_t> int_query_param(const http::Request& request, std::string_view name, std::int64_t fallback);
// Integers beyond int64 saturate (they can only be "very large" timeouts or limits).
core::Result<std::optional<std::int64_t>> optional_int(const json::object& object, std::string_view key);

}  // namespace myelin::api
