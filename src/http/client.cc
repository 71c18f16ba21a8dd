// The outgoing GET or POST of client.h: Boost.URL to parse, the system resolver, Beast over TCP or TLS,
// all on an io_context of the calling (worker) thread.
#include "http/client.h"

#include "http/http.h"

#include <openssl/ssl.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <array>
#include <cctype>
#include <cstring>

namespace myelin::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

struct Target {
  bool tls = false;
  std::string host, port, path;
};

std::optional<Target> parse_target(const std::string& text) {
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url) return std::nullopt;
  Target target;
  if (url->scheme() == "https") target.tls = true;
  else if (url->scheme() != "http") return std::nullopt;
  target.host = std::string(url->host_address());
  if (target.host.empty() || url->has_userinfo()) return std::nullopt;
  target.port = url->has_port() ? std::string(url->port()) : (target.tls ? "443" : "80");
  target.path = std::string(url->encoded_path());
  if (target.path.empty()) target.path = "/";
  if (url->has_query()) target.path += "?" + std::string(url->encoded_query());
  return target;
}

// One request/response on an already connected stream.
template <class Stream>
asio::awaitable<std::optional<FetchResult>> exchange(Stream& stream, const Target& target, const FetchOptions& options,
                                                     FetchError& error) {
  const bool post = options.method == "POST";
  bhttp::request<bhttp::string_body> request{post ? bhttp::verb::post : bhttp::verb::get, target.path, 11};
  request.set(bhttp::field::host, target.host);
  request.set(bhttp::field::user_agent, options.user_agent);
  request.set(bhttp::field::accept, post ? "application/json" : "text/html, */*;q=0.5");
  if (!options.authorization.empty()) request.set(bhttp::field::authorization, options.authorization);
  if (post) {
    request.set(bhttp::field::content_type, options.body_type);
    request.body() = options.body;
    request.prepare_payload();
  }
  if (auto [ec, n] = co_await bhttp::async_write(stream, request, kNoThrow); ec) {
    error = {FetchError::kUnreachable, ec.message()};
    co_return std::nullopt;
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(options.max_body_bytes);
  auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
  if (ec && ec != bhttp::error::body_limit) {
    error = {FetchError::kUnreachable, ec.message()};
    co_return std::nullopt;
  }
  FetchResult result;
  result.status = static_cast<int>(parser.get().result_int());
  result.content_type = std::string(parser.get()[bhttp::field::content_type]);
  if (result.status >= 300 && result.status < 400) result.body = std::string(parser.get()[bhttp::field::location]);
  else result.body = std::move(parser.get().body());
  co_return result;
}

asio::awaitable<std::optional<FetchResult>> fetch_one(asio::io_context& io, const Target& target,
                                                      const FetchOptions& options, FetchError& error) {
  tcp::resolver resolver(io);
  auto [resolve_error, endpoints] = co_await resolver.async_resolve(target.host, target.port, kNoThrow);
  if (resolve_error) {
    error = {FetchError::kUnreachable, "cannot resolve " + target.host};
    co_return std::nullopt;
  }
  // Connect only to addresses the policy allows; any refused address refuses the host, so that
  // a name with one public and one private address cannot be used to reach the private one.
  std::vector<tcp::endpoint> allowed;
  for (const auto& entry : endpoints) {
    if (!options.may_connect(entry.endpoint().address().to_string())) {
      error = {FetchError::kBlocked, "the address of " + target.host + " is not allowed"};
      co_return std::nullopt;
    }
    allowed.push_back(entry.endpoint());
  }
  beast::tcp_stream tcp_stream(io);
  if (auto [ec, endpoint] = co_await tcp_stream.async_connect(allowed, kNoThrow); ec) {
    error = {FetchError::kUnreachable, "cannot connect to " + target.host};
    co_return std::nullopt;
  }
  if (!target.tls) co_return co_await exchange(tcp_stream, target, options, error);

  ssl::context context(ssl::context::tls_client);
  context.set_default_verify_paths();
  if (!options.ca_file.empty()) {
    boost::system::error_code ec;
    context.load_verify_file(options.ca_file, ec);
    if (ec) {
      error = {FetchError::kUnreachable, "cannot read " + options.ca_file};
      co_return std::nullopt;
    }
  }
  context.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), context);
  SSL_set_tlsext_host_name(stream.native_handle(), target.host.c_str());
  stream.set_verify_callback(ssl::host_name_verification(target.host));
  if (auto [ec] = co_await stream.async_handshake(ssl::stream_base::client, kNoThrow); ec) {
    error = {FetchError::kUnreachable, "TLS handshake with " + target.host + " failed"};
    co_return std::nullopt;
  }
  co_return co_await exchange(stream, target, options, error);
}

// Parses a textual address into 16 bytes (IPv4 as IPv4-mapped IPv6).
std::optional<std::array<unsigned char, 16>> address_bytes(const std::string& ip) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(ip, ec);
  if (ec) return std::nullopt;
  if (address.is_v4()) return asio::ip::make_address_v6(asio::ip::v4_mapped, address.to_v4()).to_bytes();
  return address.to_v6().to_bytes();
}

}  // namespace

std::optional<HttpUrl> parse_http_url(const std::string& text) {
  auto target = parse_target(text);
  auto url = boost::urls::parse_absolute_uri(text);
  if (!target || !url) return std::nullopt;
  return HttpUrl{target->tls, target->host, target->port, std::string(url->encoded_path()), target->path};
}

bool address_in_range(const std::string& ip, const std::string& range) {
  const std::size_t slash = range.find('/');
  const std::string base = range.substr(0, slash);
  auto address = address_bytes(ip), network = address_bytes(base);
  if (!address || !network) return false;
  const bool v4 = base.find(':') == std::string::npos;
  int bits = v4 ? 32 : 128;
  if (slash != std::string::npos) {
    try {
      bits = std::stoi(range.substr(slash + 1));
    } catch (const std::exception&) {
      return false;
    }
  }
  if (bits < 0 || bits > (v4 ? 32 : 128)) return false;
  if (v4) bits += 96;  // within the IPv4-mapped form
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if (((*address)[i] & mask) != ((*network)[i] & mask)) return false;
  }
  return true;
}

bool is_public_address(const std::string& ip) {
  static constexpr const char* kNotPublic[] = {
      "0.0.0.0/8",    "10.0.0.0/8",   "100.64.0.0/10",  "127.0.0.0/8",   "169.254.0.0/16",  "172.16.0.0/12",
      "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
      "224.0.0.0/3",  "::/128",       "::1/128",        "64:ff9b::/96",  "100::/64",        "2001:db8::/32",
      "fc00::/7",     "fe80::/10",    "fec0::/10",      "ff00::/8"};
  if (!address_bytes(ip)) return false;
  for (const char* range : kNotPublic)
    if (address_in_range(ip, range)) return false;
  return true;
}

bool is_allowed_address(const std::string& ip, std::string_view allowlist) {
  while (!allowlist.empty()) {
    const std::size_t comma = allowlist.find(',');
    std::string range(allowlist.substr(0, comma));
    std::erase_if(range, [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
    if (!range.empty() && address_in_range(ip, range)) return true;
    allowlist = comma == std::string_view::npos ? std::string_view() : allowlist.substr(comma + 1);
  }
  return is_public_address(ip);
}

std::optional<FetchResult> fetch(const std::string& url, const FetchOptions& options, FetchError& error) {
  std::string current = url;
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  for (int hop = 0; hop <= options.max_redirects; ++hop) {
    auto target = parse_target(current);
    if (!target) {
      error = {FetchError::kBadUrl, "only http and https URLs can be fetched"};
      return std::nullopt;
    }
    asio::io_context io;
    std::optional<FetchResult> result;
    bool finished = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          result = co_await fetch_one(io, *target, options, error);
          finished = true;
        },
        asio::detached);
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) break;
    io.run_for(left);
    if (!finished) {
      error = {FetchError::kUnreachable, "timed out"};
      return std::nullopt;
    }
    if (!result) return std::nullopt;
    result->final_url = current;
    if (result->status < 300 || result->status >= 400 || result->body.empty()) return result;
    // A redirect: resolved against the current URL, then checked like the first hop.
    auto base = boost::urls::parse_uri(current);
    auto reference = boost::urls::parse_uri_reference(result->body);
    if (!base || !reference) {
      error = {FetchError::kBadUrl, "malformed redirect"};
      return std::nullopt;
    }
    boost::urls::url next;
    if (!boost::urls::resolve(*base, *reference, next)) {
      error = {FetchError::kBadUrl, "malformed redirect"};
      return std::nullopt;
    }
    current = std::string(next.buffer());
  }
  error = {FetchError::kUnreachable, "too many redirects"};
  return std::nullopt;
}

void fetch_waiting(Scheduler& scheduler, std::string url, FetchOptions options, std::function<void(FetchAnswer)> done) {
  auto answer = std::make_shared<FetchAnswer>();
  scheduler.run_waiting(
      [url = std::move(url), options = std::move(options), answer] {
        FetchError error{FetchError::kUnreachable, ""};
        if (auto result = fetch(url, options, error)) {
          answer->status = result->status;
          answer->body = std::move(result->body);
        } else {
          answer->body = error.message;
        }
      },
      [answer, done = std::move(done)] { done(std::move(*answer)); });
}

}  // namespace myelin::http
