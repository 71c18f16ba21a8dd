#pragma once
// End-to-end encryption keys of other servers' users (client-server-api keys/query and
// keys/claim for remote users): one request to the user's server's federation keys API; Keys
// (e2ee/keys.h) asks each server it needs and merges what comes back.
#include <chrono>
#include <string>
#include <string_view>

#include "homeserver/e2ee/keys.h"
#include "homeserver/federation/options.h"
#include "homeserver/federation/transport.h"

namespace myelin::homeserver {

class RemoteKeys {
 public:
  RemoteKeys(const FederationOptions& options, Transport& transport) : options_(options), transport_(transport) {}

  // POST /_matrix/federation/v1/user/keys/`what` to `server`: the answer's JSON object (at most
  // kMaxAnswerBytes), or an error whose status goes into the client's `failures` (503 when the
  // server did not answer or federation is disabled, else the server's status).
  void request(const std::string& server, std::string_view what, json::object body, std::chrono::milliseconds timeout,
               Keys::Done done);

  static constexpr std::size_t kMaxAnswerBytes = 4 << 20;

 private:
  const FederationOptions& options_;
  Transport& transport_;
};

}  // namespace myelin::homeserver
