#pragma once
// The Transport (transport.h) over HTTPS: federation.allowed_servers and denied_servers, server
// discovery (discovery.h, cached), X-Matrix signing as this server (origin: our server name,
// destination: the destination's server name, not the host it delegates to), and the
// asynchronous client (http/https_client.h) with the request's size and time bounds.
#include "core/crypto.h"
#include "homeserver/federation/discovery.h"
#include "homeserver/federation/options.h"
#include "homeserver/federation/transport.h"
#include "http/http.h"
#include "http/https_client.h"

namespace myelin::homeserver {

class HttpsTransport final : public Transport {
 public:
  HttpsTransport(const FederationOptions& options, const core::SigningKey& key, http::Scheduler& scheduler,
                 http::HttpsClient& client, DiscoveryNetwork network);
  // With the real network (system_network).
  HttpsTransport(const FederationOptions& options, const core::SigningKey& key, http::Scheduler& scheduler,
                 http::HttpsClient& client);
  void send(OutgoingRequest request, std::function<void(IncomingResponse)> done) override;
  void fetch_url(std::string url, std::size_t max_bytes, std::chrono::seconds timeout,
                 std::function<void(IncomingResponse)> done) override;

 private:
  void fail(std::function<void(IncomingResponse)> done, std::string error);

  const FederationOptions& options_;
  const core::SigningKey& key_;
  http::Scheduler& scheduler_;
  http::HttpsClient& client_;
  Discovery discovery_;
};

}  // namespace myelin::homeserver
