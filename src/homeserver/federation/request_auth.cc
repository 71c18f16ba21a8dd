#include "homeserver/federation/request_auth.h"

#include "core/clock.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "homeserver/federation/x_matrix.h"

namespace myelin::homeserver {
namespace {

core::Error unauthorized(std::string message) {
  return core::make_error(core::Errc::kUnauthorized, std::move(message));
}

}  // namespace

void RequestAuthenticator::authenticate(const IncomingServerRequest& request,
                                        std::function<void(core::Result<std::string>)> done) {
  if (!options_.enabled) return done(core::fail(core::Errc::kForbidden, "Federation is disabled on this server"));
  const std::optional<XMatrix> header = parse_x_matrix(request.authorization);
  if (!header) return done(std::unexpected(unauthorized("Missing or malformed X-Matrix authorization")));
  if (!header->destination.empty() && header->destination != options_.server_name)
    return done(std::unexpected(unauthorized("The request is for another server")));
  if (!core::is_valid_server_name(header->origin))
    return done(core::fail(core::Errc::kInvalidParam, "The origin is not a server name"));
  if (header->origin == options_.server_name) return done(std::unexpected(unauthorized("Invalid origin")));
  if (!options_.may_talk_to(header->origin))
    return done(core::fail(core::Errc::kForbidden, "Federation with this server is not allowed"));
  std::optional<json::value> content;
  if (!request.body.empty()) {
    auto parsed = core::parse_json(request.body);
    if (!parsed) return done(std::unexpected(parsed.error()));
    content = std::move(*parsed);
  }
  json::object signed_json = request_json(
      {request.method, request.target, header->origin, options_.server_name, content ? &*content : nullptr});
  json::object signature{{header->key, header->sig}};
  signed_json["signatures"] = json::object{{header->origin, std::move(signature)}};
  keys_.fetch({{header->origin, header->key, core::now_ms()}},
              [origin = header->origin, key_id = header->key, signed_json = std::move(signed_json),
               done = std::move(done)](const KeyLookup& lookup) {
                const std::optional<VerifyKey> key = lookup(origin, key_id);
                // An old key signs events only, never requests.
                if (!key || key->expired_ts) return done(std::unexpected(unauthorized("Unknown key " + key_id)));
                if (!core::verify_json(signed_json, origin, key_id, key->public_key))
                  return done(std::unexpected(unauthorized("Invalid signature")));
                done(origin);
              });
}

}  // namespace myelin::homeserver
