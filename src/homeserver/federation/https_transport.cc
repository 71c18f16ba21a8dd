#include "homeserver/federation/https_transport.h"

#include "core/json.h"
#include "homeserver/federation/x_matrix.h"
#include "http/client.h"

namespace myelin::homeserver {

HttpsTransport::HttpsTransport(const FederationOptions& options, const core::SigningKey& key,
                               http::Scheduler& scheduler, http::HttpsClient& client, DiscoveryNetwork network)
    : options_(options), key_(key), scheduler_(scheduler), client_(client), discovery_(options, std::move(network)) {}

HttpsTransport::HttpsTransport(const FederationOptions& options, const core::SigningKey& key,
                               http::Scheduler& scheduler, http::HttpsClient& client)
    : HttpsTransport(options, key, scheduler, client, system_network(client, scheduler)) {}

void HttpsTransport::fail(std::function<void(IncomingResponse)> done, std::string error) {
  scheduler_.post([done = std::move(done), error = std::move(error)] { done(IncomingResponse{0, {}, error, {}}); });
}

void HttpsTransport::send(OutgoingRequest request, std::function<void(IncomingResponse)> done) {
  if (!options_.enabled) return fail(std::move(done), "federation is disabled");
  if (!options_.may_talk_to(request.destination))
    return fail(std::move(done), request.destination + " is not allowed (federation.allowed_servers, denied_servers)");
  const std::string destination = request.destination;
  discovery_.resolve(destination, [this, request = std::move(request),
                                   done = std::move(done)](std::expected<ServerAddress, std::string> address) mutable {
    if (!address) return fail(std::move(done), address.error());
    http::HttpsRequest out;
    out.host = address->host;
    out.port = address->port;
    out.tls_name = address->tls_name;
    out.host_header = address->host_header;
    out.method = request.method;
    out.target = request.target;
    if (request.body) out.json_body = core::to_string(*request.body);
    if (request.sign) {
      const SignedRequest signed_request{request.method, request.target, options_.server_name, request.destination,
                                         request.body ? &*request.body : nullptr};
      out.headers.emplace_back("Authorization", x_matrix_authorization(signed_request, key_));
    }
    out.max_response_bytes = request.max_response_bytes;
    out.timeout = request.timeout;
    if (!address->configured) out.may_connect = federation_address_check(options_);
    client_.send(std::move(out), [done = std::move(done)](http::HttpsResponse response) {
      done(IncomingResponse{response.status, std::move(response.body), std::move(response.error),
                            std::move(response.headers)});
    });
  });
}

void HttpsTransport::fetch_url(std::string url, std::size_t max_bytes, std::chrono::seconds timeout,
                               std::function<void(IncomingResponse)> done) {
  if (!options_.enabled) return fail(std::move(done), "federation is disabled");
  const auto parsed = http::parse_http_url(url);
  int port = 0;
  if (parsed && parsed->tls) {
    try {
      port = std::stoi(parsed->port);
    } catch (const std::exception&) {
    }
  }
  if (port <= 0 || port > 65535) return fail(std::move(done), "not an https URL: " + url);
  http::HttpsRequest out;
  out.host = parsed->host;
  out.port = static_cast<std::uint16_t>(port);
  out.tls_name = parsed->host;
  const std::string host = parsed->host.find(':') == std::string::npos ? parsed->host : "[" + parsed->host + "]";
  out.host_header = port == 443 ? host : host + ":" + std::to_string(port);
  out.target = parsed->target;
  out.max_response_bytes = max_bytes;
  out.timeout = timeout;
  out.may_connect = federation_address_check(options_);  // always: anyone can name a URL
  client_.send(std::move(out), [done = std::move(done)](http::HttpsResponse response) {
    done(IncomingResponse{response.status, std::move(response.body), std::move(response.error),
                          std::move(response.headers)});
  });
}

}  // namespace myelin::homeserver
