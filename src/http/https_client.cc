// The asynchronous HTTPS client of https_client.h: one coroutine per request on the server's
// connection loop (`net`), Asio's resolver (getaddrinfo on Asio's own thread), Beast over TLS;
// the answer is posted to the event loop (`io`).
#include "http/https_client.h"

#include <openssl/ssl.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <exception>
#include <optional>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "http/loops.h"

namespace myelin::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

HttpsResponse failure(std::string error) { return HttpsResponse{0, {}, std::move(error), {}}; }

bool is_ip_literal(const std::string& text) {
  boost::system::error_code ec;
  asio::ip::make_address(text, ec);
  return !ec;
}

// The client's state, shared by the requests under way (which may outlive the client object).
// The TLS context is made at the first request: OpenSSL's set-up and the system's CA bundle
// cost megabytes of memory that a server which never sends a request does not pay. A CA file
// in the options is read at once all the same, so that a wrong path fails at start.
struct ClientState {
  ClientState(Loops l, const HttpsClientOptions& o) : loops(std::move(l)), options(o) {
    if (!options.ca_file.empty()) make_context();
  }
  ssl::context& tls() {  // net's
    if (!context) make_context();
    return *context;
  }
  Loops loops;
  HttpsClientOptions options;
  std::optional<ssl::context> context;
  std::size_t in_flight = 0;  // net's

 private:
  void make_context() {
    context.emplace(ssl::context::tls_client);
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    context->set_default_verify_paths();
    if (!options.ca_file.empty()) {
      boost::system::error_code ec;
      context->load_verify_file(options.ca_file, ec);
      if (ec) throw std::runtime_error("cannot read the CA file " + options.ca_file);
    }
    context->set_verify_mode(options.verify_certificates ? ssl::verify_peer : ssl::verify_none);
  }
};

asio::awaitable<HttpsResponse> exchange(ClientState& state, const HttpsRequest& request) {
  const auto executor = co_await asio::this_coro::executor;
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  const auto verb = bhttp::string_to_verb(request.method);
  if (verb == bhttp::verb::unknown) co_return failure("unknown method " + request.method);

  tcp::resolver resolver(executor);
  asio::steady_timer resolving(executor, deadline);  // the stream's own expiry covers the rest
  resolving.async_wait([&resolver](const boost::system::error_code& ec) {
    if (!ec) resolver.cancel();
  });
  auto [resolve_error, results] = co_await resolver.async_resolve(request.host, std::to_string(request.port), kNoThrow);
  resolving.cancel();
  if (resolve_error) co_return failure("cannot resolve " + request.host);
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : results) {
    if (request.may_connect && !request.may_connect(entry.endpoint().address().to_string()))
      co_return failure("the address of " + request.host + " is not allowed");
    endpoints.push_back(entry.endpoint());
  }

  beast::ssl_stream<beast::tcp_stream> stream(executor, state.tls());
  auto& tcp_stream = beast::get_lowest_layer(stream);
  tcp_stream.expires_at(deadline);
  if (auto [ec, endpoint] = co_await tcp_stream.async_connect(endpoints, kNoThrow); ec)
    co_return failure("cannot connect to " + request.host + ":" + std::to_string(request.port));
  // SNI names a host; an IP address is never sent as one (RFC 6066, and the spec's TLS section).
  if (!is_ip_literal(request.tls_name)) SSL_set_tlsext_host_name(stream.native_handle(), request.tls_name.c_str());
  if (state.options.verify_certificates) stream.set_verify_callback(ssl::host_name_verification(request.tls_name));
  if (auto [ec] = co_await stream.async_handshake(ssl::stream_base::client, kNoThrow); ec)
    co_return failure("TLS with " + request.tls_name + " failed: " + ec.message());

  bhttp::request<bhttp::string_body> out{verb, request.target, 11};
  out.set(bhttp::field::host, request.host_header);
  out.set(bhttp::field::user_agent, "myelin");
  for (const auto& [name, value] : request.headers) out.set(name, value);
  if (request.json_body) {
    out.set(bhttp::field::content_type, "application/json");
    out.body() = *request.json_body;
  }
  out.keep_alive(false);
  out.prepare_payload();
  if (auto [ec, n] = co_await bhttp::async_write(stream, out, kNoThrow); ec)
    co_return failure("cannot send to " + request.host + ": " + ec.message());

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(request.max_response_bytes);
  auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
  if (ec == bhttp::error::body_limit) co_return failure("the answer of " + request.host + " is too large");
  if (ec == beast::error::timeout) co_return failure("timed out");
  if (ec) co_return failure("no answer from " + request.host + ": " + ec.message());
  HttpsResponse response;
  response.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get())
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  response.body = std::move(parser.get().body());
  co_return response;
}

class AsioHttpsClient final : public HttpsClient {
 public:
  AsioHttpsClient(Loops loops, const HttpsClientOptions& options)
      : state_(std::make_shared<ClientState>(std::move(loops), options)) {}

  void send(HttpsRequest request, std::function<void(HttpsResponse)> done) override {
    asio::post(state_->loops.net, [state = state_, request = std::move(request), done = std::move(done)]() mutable {
      if (state->in_flight >= state->options.max_in_flight)
        return finish(*state, std::move(done), failure("too many outgoing requests under way"));
      ++state->in_flight;
      auto shared_request = std::make_shared<HttpsRequest>(std::move(request));
      asio::co_spawn(
          state->loops.net, exchange(*state, *shared_request),
          [state, shared_request, done = std::move(done)](std::exception_ptr error, HttpsResponse response) mutable {
            --state->in_flight;
            if (error) response = failure("the request failed");
            finish(*state, std::move(done), std::move(response));
          });
    });
  }

 private:
  // On net: hands the answer to the event loop, if it still runs.
  static void finish(ClientState& state, std::function<void(HttpsResponse)> done, HttpsResponse response) {
    if (!*state.loops.open) return;
    asio::post(state.loops.io, [done = std::move(done), response = std::move(response)]() mutable {
      try {
        done(std::move(response));
      } catch (const std::exception& e) {
        spdlog::error("outgoing request continuation failed: {}", e.what());
      }
    });
  }

  std::shared_ptr<ClientState> state_;
};

}  // namespace

std::string_view HttpsResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (beast::iequals(key, name)) return value;
  return {};
}

std::unique_ptr<HttpsClient> make_https_client(Loops loops, const HttpsClientOptions& options) {
  return std::make_unique<AsioHttpsClient>(std::move(loops), options);
}

}  // namespace myelin::http
