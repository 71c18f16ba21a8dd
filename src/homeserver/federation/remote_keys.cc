#include "homeserver/federation/remote_keys.h"

namespace myelin::homeserver {

void RemoteKeys::request(const std::string& server, std::string_view what, json::object body,
                         std::chrono::milliseconds timeout, Keys::Done done) {
  if (!options_.enabled) return done(core::fail(core::Errc::kUnknown, "Federation is disabled on this server", 503));
  OutgoingRequest request{
      server, "POST",          "/_matrix/federation/v1/user/keys/" + std::string(what), json::value(std::move(body)),
      true,   kMaxAnswerBytes, std::chrono::ceil<std::chrono::seconds>(timeout)};
  transport_.send(std::move(request), [done = std::move(done)](IncomingResponse response) {
    if (response.status == 0) return done(core::fail(core::Errc::kUnknown, "The server did not answer", 503));
    if (response.status != 200) return done(core::fail(core::Errc::kUnknown, "The server refused", response.status));
    auto answer = core::parse_json_object(response.body);
    if (!answer) return done(core::fail(core::Errc::kUnknown, "The server answered no JSON object", 502));
    done(std::move(*answer));
  });
}

}  // namespace myelin::homeserver
