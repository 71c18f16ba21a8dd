// The HTTP/1.1 server: two loops. The connections — one coroutine each: reading and parsing
// requests, writing responses, timeouts, limits — run on `net`, on a thread of their own; the
// router, handlers, responders and scheduled callbacks on `io`, the event loop of the layers
// above (Server::run's thread). A request crosses to `io` once it is read (and, for a gated
// streamed body, once for its gate); its answer crosses back. So socket I/O and HTTP parsing
// use the second core while the layers above stay single-threaded.
#include <fcntl.h>
#include <openssl/ssl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>

#include <spdlog/spdlog.h>

#include "http/http.h"
#include "http/loops.h"

namespace myelin::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

class AsioTimer : public Timer {
 public:
  explicit AsioTimer(asio::io_context& io) : timer_(io) {}
  void cancel() override {
    *cancelled_ = true;
    timer_.cancel();
  }
  asio::steady_timer timer_;
  std::shared_ptr<bool> cancelled_ = std::make_shared<bool>(false);
};

// Where a request's response lands when the handler answers.
struct Pending {
  explicit Pending(asio::io_context& io) : ready(io, asio::steady_timer::time_point::max()) {}
  asio::steady_timer ready;
  std::optional<Response> response;
};

Response plain(int status, std::string body) { return Response{status, "application/json", std::move(body), {}, {}}; }

// Holds one of a count for its lifetime: an open connection, a request being answered, or a
// connection from one address, counted in a map whose entry goes when its count drops to zero.
class Count {
 public:
  using PerKey = std::unordered_map<std::string, std::size_t>;
  explicit Count(std::size_t& total) : n_(&total) { ++*n_; }
  Count(PerKey& per_key, const std::string& key) : n_(&per_key[key]), per_key_(&per_key), key_(key) { ++*n_; }
  Count(Count&& other) noexcept
      : n_(std::exchange(other.n_, nullptr)), per_key_(other.per_key_), key_(std::move(other.key_)) {}
  Count& operator=(Count&&) = delete;
  ~Count() {
    if (n_ && --*n_ == 0 && per_key_) per_key_->erase(key_);
  }
  std::size_t value() const { return *n_; }

 private:
  std::size_t* n_;  // null once moved from
  PerKey* per_key_ = nullptr;
  std::string key_;
};

// A request read from a connection. `refusal`: the answer decided before the request reaches
// the router (a refused or broken request); the connection closes after it, without reading
// what is left of the body.
struct Incoming {
  Request request;
  unsigned version = 11;
  bool keep_alive = false;
  std::optional<Response> refusal;
  std::chrono::steady_clock::time_point started;
};

// Read errors that mean the client closed the connection (or went away mid-request).
bool client_gone(const boost::system::error_code& error) {
  return error == bhttp::error::end_of_stream || error == bhttp::error::partial_message || error == asio::error::eof ||
         error == asio::error::connection_reset || error == beast::error::timeout ||
         error == asio::error::operation_aborted;
}

// The textual peer address (an IPv4-mapped IPv6 address as IPv4), and the unit of the
// per-address connection limit: the IPv4 address, or the /64 of an IPv6 address (what one
// subscriber usually gets, so an attacker cannot multiply its share by picking addresses).
struct Peer {
  std::string ip;
  std::string limit_key;
};
Peer peer_of(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return {};
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  if (address.is_v4()) return {address.to_string(), address.to_string()};
  auto bytes = address.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return {address.to_string(), asio::ip::address_v6(bytes).to_string() + "/64"};
}

// After a header_limit error: whether the request line alone was too long (414) rather than
// the header fields (431). The parser cannot tell: when the line did not arrive in its first
// read, it next looks for the end of the whole head and fails at the limit without having
// parsed the line. So it is decided from the bytes still buffered: no line end within the
// limit. A request line the parser did take (its target is set) has left the buffer.
bool request_line_too_long(const bhttp::request<bhttp::empty_body>& head, const beast::flat_buffer& buffer,
                           std::size_t limit) {
  if (!head.target().empty()) return false;
  const auto data = buffer.cdata();
  const std::string_view buffered(static_cast<const char*>(data.data()), std::min(data.size(), limit));
  return buffered.find("\r\n") == std::string_view::npos;
}

// A streamed request body on disk; the file is removed when this goes out of scope unless
// the handler moved it away first.
struct BodyFile {
  std::string path;
  std::uint64_t size = 0;
  int fd = -1;

  bool open(const std::string& dir) {
    path = (dir.empty() ? std::string("/tmp") : dir) + "/upload-XXXXXX";
    fd = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd < 0) path.clear();
    return fd >= 0;
  }
  bool write(const char* data, std::size_t n) {
    for (std::size_t done = 0; done < n;) {
      const ssize_t w = ::write(fd, data + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      done += static_cast<std::size_t>(w);
    }
    size += n;
    return true;
  }
  ~BodyFile() {
    if (fd < 0) return;
    // Only if the path still names our file: the handler may have moved it away, and another
    // upload may since have been given the same name.
    struct stat ours {
    }, named{};
    if (::fstat(fd, &ours) == 0 && ::stat(path.c_str(), &named) == 0 && ours.st_ino == named.st_ino &&
        ours.st_dev == named.st_dev)
      ::unlink(path.c_str());
    ::close(fd);
  }
};

}  // namespace

struct Server::Impl : Scheduler {
  Impl(ServerOptions o, const Router& r)
      : options(std::move(o)),
        router(r),
        server_error(plain(500, error_body(500))),
        acceptor(net),
        tls_acceptor(net),
        signals(io) {}

  void post(std::function<void()> fn) override {
    asio::post(io, [fn = std::move(fn)] { run_guarded(fn); });
  }

  std::unique_ptr<Timer> after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    auto timer = std::make_unique<AsioTimer>(io);
    timer->timer_.expires_after(delay);
    timer->timer_.async_wait([fn = std::move(fn), cancelled = timer->cancelled_](const boost::system::error_code& ec) {
      if (!ec && !*cancelled) run_guarded(fn);
    });
    return timer;
  }

  void run_blocking(std::function<void()> work, std::function<void()> then) override {
    run_on(workers, std::move(work), std::move(then));
  }
  void run_waiting(std::function<void()> work, std::function<void()> then) override {
    run_on(waiters, std::move(work), std::move(then));
  }
  void run_on(asio::thread_pool& pool, std::function<void()> work, std::function<void()> then) {
    asio::post(pool, [this, work = std::move(work), then = std::move(then)]() mutable {
      run_guarded(work);
      asio::post(io, [then = std::move(then)] { run_guarded(then); });
    });
  }

  // A failing callback must not stop the event loop (and with it the server).
  static void run_guarded(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      spdlog::error("scheduled task failed: {}", e.what());
    }
  }

  // Accepts connections on `acceptor`, served in plain HTTP, or over TLS with `tls` when set.
  asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, ssl::context* tls);
  // Serves one connection, which holds its counts (`connections`, `per_address`) until it closes:
  // after the TLS handshake when `tls` is set.
  asio::awaitable<void> session(tcp::socket socket, ssl::context* tls, Peer peer, Count connection, Count from_peer);
  // The requests of one connection, plain (beast::tcp_stream) or TLS (TlsStream), one after the other.
  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, const Peer& peer);
  // The next request (head and body); nullopt when the client went away.
  template <class Stream>
  asio::awaitable<std::optional<Incoming>> read_request(Stream& stream, beast::flat_buffer& buffer, const Peer& peer,
                                                        bool first, BodyFile& body_file);
  // The body of a request whose head `header_parser` read, into `in.request` (or a file), unless
  // the route's gate refuses it (`in.refusal`).
  template <class Stream>
  asio::awaitable<boost::system::error_code> read_body(Stream& stream, beast::flat_buffer& buffer,
                                                       bhttp::request_parser<bhttp::empty_body>& header_parser,
                                                       Incoming& in, BodyFile& body_file);
  // The answer to a request that could not be read (`head`, `buffer`: what was read of it).
  Response refusal_for(const boost::system::error_code& error, const bhttp::request<bhttp::empty_body>& head,
                       const beast::flat_buffer& buffer) const;
  // The router's answer to `request` (on `io`), waited for without blocking `net`. The request
  // lives in the connection's frame until then: the loop may use it until it answers.
  asio::awaitable<Response> answer(Request& request);
  // On `net`: the gate's decision on `head`, made on `io`.
  asio::awaitable<std::optional<Response>> ask_gate(const Gate& gate, const Request& head);
  // After a refusal: drains a bounded amount of what the client is still sending, so it reads
  // our answer instead of a connection reset.
  template <class Stream>
  asio::awaitable<void> linger(Stream& stream);
  // Streams a request body into a temporary file under options.upload_dir.
  template <class Stream>
  asio::awaitable<boost::system::error_code> read_body_to_file(Stream& stream, beast::flat_buffer& buffer,
                                                               bhttp::request_parser<bhttp::empty_body>& header_parser,
                                                               std::uint64_t limit, BodyFile& file);
  // False when the connection cannot go on.
  // `head_only`: a HEAD request, answered with the headers (and length) a GET would get.
  template <class Stream>
  asio::awaitable<bool> write_response(Stream& stream, Response& response, unsigned version, bool keep_alive,
                                       bool head_only);
  std::string error_body(int status) const { return options.error_body ? options.error_body(status) : "{}"; }
  void log_request(const Request& request, int status, std::chrono::steady_clock::time_point started) const;

  ServerOptions options;
  const Router& router;
  const Response server_error;  // made once: every request carries a copy as its fallback
  std::atomic<bool> stopping = false;
  // `net`'s, declared before it: connection coroutines still pending when it is destroyed
  // update them.
  std::size_t in_flight = 0;  // requests handed to the router and not yet written out
  std::size_t connections = 0;
  Count::PerKey per_address;  // open connections by Peer::limit_key
  std::vector<std::function<void()>> stop_callbacks;
  // False once the loops have stopped: answers that come later (as the layers above are torn
  // down, or from the thread that makes writes durable) have nowhere to go.
  std::shared_ptr<std::atomic<bool>> loop_open = std::make_shared<std::atomic<bool>>(true);
  asio::io_context io{1};
  asio::io_context net{1};
  asio::thread_pool workers{2};
  asio::thread_pool waiters{4};  // run_waiting: outgoing requests
  tcp::acceptor acceptor;
  tcp::acceptor tls_acceptor;  // open when options.tls is set
  std::optional<ssl::context> tls_context;
  asio::signal_set signals;
  std::unique_ptr<asio::steady_timer> drain_timer;  // net's
};

asio::awaitable<void> Server::Impl::accept_loop(tcp::acceptor& acceptor, ssl::context* tls) {
  while (!stopping) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) co_return;
      // e.g. out of file descriptors: keep serving the connections we have, retry shortly.
      asio::steady_timer pause(net, std::chrono::milliseconds(100));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    // Beyond either limit the socket closes as it goes.
    if (connections >= options.max_connections) continue;
    Peer peer = peer_of(socket);
    Count from_peer(per_address, peer.limit_key);
    if (options.max_connections_per_address && from_peer.value() > options.max_connections_per_address) continue;
    asio::co_spawn(net, session(std::move(socket), tls, std::move(peer), Count(connections), std::move(from_peer)),
                   asio::detached);
  }
}

asio::awaitable<void> Server::Impl::session(tcp::socket socket, ssl::context* tls, Peer peer,
                                            [[maybe_unused]] Count connection, [[maybe_unused]] Count from_peer) {
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  beast::tcp_stream plain_stream(std::move(socket));
  if (!tls) {
    co_await serve(plain_stream, peer);
  } else {
    TlsStream stream(std::move(plain_stream), *tls);
    // The handshake counts as part of the first request's head.
    beast::get_lowest_layer(stream).expires_after(options.header_timeout);
    if (auto [error] = co_await stream.async_handshake(ssl::stream_base::server, kNoThrow); !error) {
      co_await serve(stream, peer);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
      co_await stream.async_shutdown(kNoThrow);
    }
    beast::get_lowest_layer(stream).socket().close(ignored);
    co_return;
  }
  plain_stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  plain_stream.socket().close(ignored);
}

template <class Stream>
asio::awaitable<void> Server::Impl::serve(Stream& stream, const Peer& peer) {
  beast::flat_buffer buffer;
  for (bool first = true; !stopping; first = false) {
    BodyFile body_file;
    auto in = co_await read_request(stream, buffer, peer, first, body_file);
    if (!in) break;
    Request& request = in->request;
    const bool refused = in->refusal.has_value();
    Response response;
    std::optional<Count> answering;  // in_flight, until the answer is written
    if (refused) {
      response = std::move(*in->refusal);
    } else if (request.method == "OPTIONS") {
      response = plain(204, "");
    } else {
      answering.emplace(in_flight);
      response = co_await answer(request);
    }
    const bool keep_alive = in->keep_alive && !stopping && !refused;
    const bool written = co_await write_response(stream, response, in->version, keep_alive, request.method == "HEAD");
    log_request(request, response.status, in->started);
    if (written && refused) co_await linger(stream);
    if (!written || !keep_alive) break;
    // One large request must not keep its buffer for the connection's life.
    if (buffer.size() == 0 && buffer.capacity() > (16u << 10)) buffer.shrink_to_fit();
  }
}

template <class Stream>
asio::awaitable<std::optional<Incoming>> Server::Impl::read_request(Stream& stream, beast::flat_buffer& buffer,
                                                                    const Peer& peer, bool first, BodyFile& body_file) {
  bhttp::request_parser<bhttp::empty_body> header_parser;
  header_parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
  header_parser.body_limit(boost::none);  // checked in read_body, once the route is known
  // A new connection must send its first request's head soon; an open one may idle longer.
  beast::get_lowest_layer(stream).expires_after(first ? options.header_timeout : options.idle_timeout);
  auto [error, bytes] = co_await bhttp::async_read_header(stream, buffer, header_parser, kNoThrow);
  (void)bytes;
  Incoming in;
  in.started = std::chrono::steady_clock::now();
  in.request.remote_ip = peer.ip;
  const auto& head = header_parser.get();
  if (!error) {
    beast::get_lowest_layer(stream).expires_after(options.idle_timeout);  // for the body
    in.version = head.version();
    in.keep_alive = head.keep_alive();
    Request& request = in.request;
    request.method = std::string(head.method_string());
    std::string_view target = head.target();
    std::size_t question = target.find('?');
    request.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
    request.headers.reserve(16);
    for (const auto& field : head)
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    error = co_await read_body(stream, buffer, header_parser, in, body_file);
  }
  if (client_gone(error)) co_return std::nullopt;
  if (error) in.refusal = refusal_for(error, head, buffer);
  co_return in;
}

template <class Stream>
asio::awaitable<boost::system::error_code> Server::Impl::read_body(
    Stream& stream, beast::flat_buffer& buffer, bhttp::request_parser<bhttp::empty_body>& header_parser, Incoming& in,
    BodyFile& body_file) {
  Request& request = in.request;
  const StreamedBody* streamed = router.streamed_body(request.method, request.path);
  const std::uint64_t route_limit = router.body_limit(request.method, request.path);
  const std::uint64_t limit = streamed ? streamed->limit : route_limit ? route_limit : options.max_body_bytes;
  // The parser checks a Content-Length against its limit only while reading the header,
  // which happened under no limit.
  if (auto length = header_parser.content_length(); length && *length > limit)
    co_return boost::system::error_code(bhttp::error::body_limit);
  if (streamed && streamed->gate && (in.refusal = co_await ask_gate(streamed->gate, request)))
    co_return boost::system::error_code();  // refused from its head, before a byte of the body is read
  if (streamed) {
    const auto error = co_await read_body_to_file(stream, buffer, header_parser, limit, body_file);
    request.body_file = body_file.path;
    request.body_size = body_file.size;
    co_return error;
  }
  bhttp::request_parser<bhttp::string_body> parser{std::move(header_parser)};
  parser.body_limit(limit);
  auto [error, bytes] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
  (void)bytes;
  if (!error) request.body = std::move(parser.get().body());
  co_return error;
}

Response Server::Impl::refusal_for(const boost::system::error_code& error,
                                   const bhttp::request<bhttp::empty_body>& head,
                                   const beast::flat_buffer& buffer) const {
  int status = 400;
  if (error == bhttp::error::body_limit) status = 413;
  else if (error == bhttp::error::header_limit)
    status = request_line_too_long(head, buffer, options.max_header_bytes) ? 414 : 431;
  else if (error == boost::system::errc::io_error) status = 500;  // the temporary file could not be written (disk full)
  return plain(status, error_body(status));
}

asio::awaitable<Response> Server::Impl::answer(Request& request) {
  auto pending = std::make_shared<Pending>(net);
  // Called on io; the response crosses to net, where the connection waits for it.
  auto deliver = [this, weak = std::weak_ptr<Pending>(pending), open = loop_open](Response r) {
    if (!*open) return;
    asio::post(net, [weak, r = std::move(r)]() mutable {
      auto p = weak.lock();
      if (!p) return;
      p->response = std::move(r);
      p->ready.cancel();
    });
  };
  const Response& failure = server_error;
  Responder respond(
      [deliver, failure, hold = options.hold_answer, open = loop_open](Response r) {
        if (!*open) return;  // the loops have stopped: nothing can be held or sent
        if (!hold) return deliver(std::move(r));
        hold([deliver, failure, held = std::make_shared<Response>(std::move(r))](bool ok) {
          deliver(ok ? std::move(*held) : failure);
        });
      },
      failure);
  // A handler that throws leaves its responder unanswered: the fallback answers. The request
  // stays in this coroutine's frame, untouched here, until the answer is back.
  asio::post(io, [this, &request, respond = std::move(respond)]() mutable {
    try {
      router.dispatch(request, std::move(respond));
    } catch (const std::exception& e) {
      spdlog::error("{} {}: handler failed: {}", request.method, request.path, e.what());
    }
  });
  // `ready` never expires: only the answer ends the wait, after setting the response. (Once
  // the loops have stopped, no answer comes and this coroutine is never resumed.)
  co_await pending->ready.async_wait(kNoThrow);
  assert(pending->response);
  co_return std::move(*pending->response);
}

asio::awaitable<std::optional<Response>> Server::Impl::ask_gate(const Gate& gate, const Request& head) {
  struct Decision {
    explicit Decision(asio::io_context& net) : ready(net, asio::steady_timer::time_point::max()) {}
    asio::steady_timer ready;
    std::optional<Response> refusal;
  };
  auto decision = std::make_shared<Decision>(net);
  asio::post(io, [this, &gate, &head, decision] {
    std::optional<Response> refusal;
    try {
      refusal = gate(head);
    } catch (const std::exception& e) {
      spdlog::error("{} {}: gate failed: {}", head.method, head.path, e.what());
      refusal = server_error;
    }
    asio::post(net, [decision, refusal = std::move(refusal)]() mutable {
      decision->refusal = std::move(refusal);
      decision->ready.cancel();
    });
  });
  co_await decision->ready.async_wait(kNoThrow);
  co_return std::move(decision->refusal);
}

template <class Stream>
asio::awaitable<void> Server::Impl::linger(Stream& stream) {
  boost::system::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  std::array<char, 16384> sink;
  for (std::size_t drained = 0; drained < (16u << 20);) {
    auto [error, n] = co_await stream.async_read_some(asio::buffer(sink), kNoThrow);
    if (error) break;
    drained += n;
  }
}

void Server::Impl::log_request(const Request& request, int status,
                               std::chrono::steady_clock::time_point started) const {
  if (!spdlog::should_log(spdlog::level::debug)) return;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  spdlog::debug("request {} {} {} {}ms {}", request.method.empty() ? "-" : request.method,
                request.method.empty()
                    ? "-"
                    : loggable_target(request, options.secret_params, router.pattern(request.method, request.path)),
                status, ms.count(), request.user.empty() ? "-" : request.user);
}

template <class Stream>
asio::awaitable<boost::system::error_code> Server::Impl::read_body_to_file(
    Stream& stream, beast::flat_buffer& buffer, bhttp::request_parser<bhttp::empty_body>& header_parser,
    std::uint64_t limit, BodyFile& file) {
  if (beast::iequals(header_parser.get()[bhttp::field::expect], "100-continue")) {
    bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, header_parser.get().version()};
    co_await bhttp::async_write(stream, go_on, kNoThrow);
  }
  bhttp::request_parser<bhttp::buffer_body> parser{std::move(header_parser)};
  parser.body_limit(limit);
  if (!file.open(options.upload_dir)) co_return make_error_code(boost::system::errc::io_error);
  std::vector<char> chunk(64 << 10);
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(60));
    auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
    (void)n;
    if (ec && ec != bhttp::error::need_buffer) co_return ec;
    if (!file.write(chunk.data(), chunk.size() - parser.get().body().size))
      co_return make_error_code(boost::system::errc::io_error);
  }
  co_return boost::system::error_code{};
}

template <class Stream>
asio::awaitable<bool> Server::Impl::write_response(Stream& stream, Response& response, unsigned version,
                                                   bool keep_alive, bool head_only) {
  auto set_head = [&](auto& out) {
    if (!response.content_type.empty() && response.status != 204)
      out.set(bhttp::field::content_type, response.content_type);
    out.set(bhttp::field::access_control_allow_origin, "*");
    out.set(bhttp::field::access_control_allow_methods, "GET, POST, PUT, DELETE, OPTIONS");
    out.set(bhttp::field::access_control_allow_headers, "X-Requested-With, Content-Type, Authorization");
    for (auto& [name, value] : response.headers) out.set(name, value);
    out.keep_alive(keep_alive);
  };
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
  if (head_only) {
    bhttp::response<bhttp::empty_body> out{static_cast<bhttp::status>(response.status), version};
    set_head(out);
    out.content_length(response.file ? response.file->total() : response.body.size());
    bhttp::response_serializer<bhttp::empty_body> serializer{out};
    auto [error, written] = co_await bhttp::async_write_header(stream, serializer, kNoThrow);
    (void)written;
    co_return !error;
  }
  if (!response.file) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(response.status), version};
    set_head(out);
    if (response.status != 204) out.body() = std::move(response.body);
    out.prepare_payload();
    auto [error, written] = co_await bhttp::async_write(stream, out, kNoThrow);
    (void)written;
    co_return !error;
  }
  // A file, in chunks: never more than one chunk of it in memory.
  const Response::FileRange& range = *response.file;
  const int fd = ::open(range.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {  // gone since the handler looked: still an answer
    Response failure = server_error;
    co_return co_await write_response(stream, failure, version, keep_alive, false);
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  bhttp::response<bhttp::buffer_body> out{static_cast<bhttp::status>(response.status), version};
  set_head(out);
  out.content_length(range.total());
  out.body().data = nullptr;
  out.body().more = true;
  bhttp::response_serializer<bhttp::buffer_body> serializer{out};
  if (auto [error, n] = co_await bhttp::async_write_header(stream, serializer, kNoThrow); error) co_return false;
  // The framing before, the file in chunks, the framing after.
  std::vector<char> chunk(64 << 10);
  const std::uint64_t total = range.total(), file_end = range.before.size() + range.length;
  std::uint64_t sent = 0;
  while (sent < total) {
    const char* data = nullptr;
    std::size_t size = 0;
    if (sent < range.before.size()) {
      data = range.before.data() + sent;
      size = range.before.size() - sent;
    } else if (sent < file_end) {
      const std::uint64_t at = sent - range.before.size();
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), range.length - at));
      const ssize_t got = ::pread(fd, chunk.data(), want, static_cast<off_t>(range.offset + at));
      if (got <= 0) co_return false;  // truncated underneath us: the Content-Length cannot be met
      data = chunk.data();
      size = static_cast<std::size_t>(got);
    } else {
      data = range.after.data() + (sent - file_end);
      size = static_cast<std::size_t>(total - sent);
    }
    sent += size;
    out.body().data = const_cast<char*>(data);
    out.body().size = size;
    out.body().more = sent < total;
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(60));
    auto [error, n] = co_await bhttp::async_write(stream, serializer, kNoThrow);
    if (error && error != bhttp::error::need_buffer) co_return false;
  }
  if (!serializer.is_done()) {
    out.body().data = nullptr;
    out.body().size = 0;
    out.body().more = false;
    auto [error, n] = co_await bhttp::async_write(stream, serializer, kNoThrow);
    if (error && error != bhttp::error::need_buffer) co_return false;
  }
  co_return true;
}

Server::Server(ServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

Server::~Server() = default;

namespace {

void bind_and_listen(tcp::acceptor& acceptor, const std::string& address_text, std::uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(address_text, ec);
  if (ec) throw std::runtime_error("invalid listen address " + address_text);
  tcp::endpoint endpoint(address, port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint, ec);
  if (ec) throw std::runtime_error(address_text + ":" + std::to_string(port) + ": " + ec.message());
  acceptor.listen(asio::socket_base::max_listen_connections);
}

// TLS 1.2 and later, with the certificate chain and key of `listener`.
ssl::context tls_server_context(const ServerOptions::TlsListener& listener) {
  ssl::context context(ssl::context::tls_server);
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  boost::system::error_code ec;
  context.use_certificate_chain_file(listener.certificate_chain_file, ec);
  if (ec) throw std::runtime_error("cannot read the certificate chain " + listener.certificate_chain_file);
  context.use_private_key_file(listener.private_key_file, ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot read the private key " + listener.private_key_file);
  if (SSL_CTX_check_private_key(context.native_handle()) != 1)
    throw std::runtime_error("the private key does not match the certificate");
  return context;
}

}  // namespace

std::uint16_t Server::listen() {
  Impl& impl = *impl_;
  bind_and_listen(impl.acceptor, impl.options.address, impl.options.port);
  if (const auto& tls = impl.options.tls) {
    impl.tls_context.emplace(tls_server_context(*tls));
    bind_and_listen(impl.tls_acceptor, tls->address, tls->port);
  }
  return impl.acceptor.local_endpoint().port();
}

std::uint16_t Server::tls_port() const {
  boost::system::error_code ec;
  if (!impl_->tls_acceptor.is_open()) return 0;
  return impl_->tls_acceptor.local_endpoint(ec).port();
}

void Server::run() {
  Impl& impl = *impl_;
  impl.signals.add(SIGINT);
  impl.signals.add(SIGTERM);
  impl.signals.async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec) stop();
  });
  std::signal(SIGPIPE, SIG_IGN);
  asio::co_spawn(impl.net, impl.accept_loop(impl.acceptor, nullptr), asio::detached);
  if (impl.tls_acceptor.is_open())
    asio::co_spawn(impl.net, impl.accept_loop(impl.tls_acceptor, &*impl.tls_context), asio::detached);
  // io may have nothing queued while the connections wait: it runs until net is done.
  const auto io_work = asio::make_work_guard(impl.io);
  std::thread net_thread([&impl] {
    impl.net.run();
    impl.io.stop();
  });
  impl.io.run();
  net_thread.join();
  *impl.loop_open = false;
  impl.workers.join();
  impl.waiters.stop();  // outgoing requests not started are dropped; those under way end within their timeout
  impl.waiters.join();
}

// On io: the callbacks (the layers above answer their long-polls); then on net: no more
// connections, and the drain.
void Server::stop(std::chrono::milliseconds grace) {
  asio::post(impl_->io, [impl = impl_.get(), grace] {
    if (impl->stopping.exchange(true)) return;
    boost::system::error_code ignored;
    impl->signals.cancel(ignored);
    for (const auto& callback : impl->stop_callbacks) Impl::run_guarded(callback);
    asio::post(impl->net, [impl, grace] {
      boost::system::error_code ignored;
      impl->acceptor.close(ignored);
      impl->tls_acceptor.close(ignored);
      // Let requests in flight finish, checking every 20 ms, for at most `grace`.
      auto deadline = std::chrono::steady_clock::now() + grace;
      impl->drain_timer = std::make_unique<asio::steady_timer>(impl->net);
      auto check = std::make_shared<std::function<void()>>();
      *check = [impl, deadline, check] {
        if (impl->in_flight == 0 || std::chrono::steady_clock::now() >= deadline) {
          impl->net.stop();
          return;
        }
        impl->drain_timer->expires_after(std::chrono::milliseconds(20));
        impl->drain_timer->async_wait([check](const boost::system::error_code&) { (*check)(); });
      };
      (*check)();
    });
  });
}

void Server::on_stop(std::function<void()> callback) { impl_->stop_callbacks.push_back(std::move(callback)); }

Scheduler& Server::scheduler() { return *impl_; }

std::unique_ptr<HttpsClient> Server::https_client(const HttpsClientOptions& options) {
  return make_https_client(Loops{impl_->net, impl_->io, impl_->loop_open}, options);
}

}  // namespace myelin::http
