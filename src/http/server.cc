// The HTTP/1.1 server: one coroutine per connection on a single io_context. Each request is
// handed to the router with a Responder; the connection's coroutine waits (without blocking
// the loop) until the responder is called, then writes the response.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <array>
#include <csignal>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "http/http.h"

namespace myelin::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

constexpr const char* kInternalError = R"({"errcode":"M_UNKNOWN","error":"Internal server error"})";
constexpr const char* kBadRequest = R"({"errcode":"M_UNKNOWN","error":"Malformed HTTP request"})";

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

Response plain(int status, std::string body) { return Response{status, "application/json", std::move(body), {}}; }

}  // namespace

struct Server::Impl : Scheduler {
  Impl(ServerOptions o, const Router& r) : options(std::move(o)), router(r), acceptor(io), signals(io) {}

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
    asio::post(workers, [this, work = std::move(work), then = std::move(then)]() mutable {
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

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> session(tcp::socket socket);
  Response handle(Request& request);

  ServerOptions options;
  const Router& router;
  // Declared before io: connection coroutines still pending when io is destroyed update them.
  bool stopping = false;
  std::size_t in_flight = 0;
  std::size_t connections = 0;
  asio::io_context io{1};
  asio::thread_pool workers{2};
  tcp::acceptor acceptor;
  asio::signal_set signals;
  std::unique_ptr<asio::steady_timer> drain_timer;
};

asio::awaitable<void> Server::Impl::accept_loop() {
  while (!stopping) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) co_return;
      // e.g. out of file descriptors: keep serving the connections we have, retry shortly.
      asio::steady_timer pause(io, std::chrono::milliseconds(100));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    if (connections >= options.max_connections) continue;  // the socket closes as it goes
    asio::co_spawn(io, session(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> Server::Impl::session(tcp::socket socket) {
  ++connections;
  struct Count {
    std::size_t& n;
    ~Count() { --n; }
  } count{connections};
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::string remote_ip;
  if (auto endpoint = socket.remote_endpoint(ignored); !ignored) {
    auto address = endpoint.address();
    remote_ip = address.is_v6() && address.to_v6().is_v4_mapped()
                    ? asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string()
                    : address.to_string();
  }
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  while (!stopping) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(options.max_body_bytes);
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    stream.expires_after(options.idle_timeout);
    auto [read_error, bytes] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
    (void)bytes;
    Response response;
    bool keep_alive = false;
    unsigned version = 11;
    if (read_error == bhttp::error::end_of_stream || read_error == beast::error::timeout ||
        read_error == asio::error::connection_reset || read_error == asio::error::eof) {
      break;
    } else if (read_error == bhttp::error::body_limit) {
      response = plain(413, options.too_large_body.empty() ? "{}" : options.too_large_body);
    } else if (read_error) {
      if (read_error == asio::error::operation_aborted) break;
      response = plain(400, kBadRequest);
    } else {
      auto& message = parser.get();
      version = message.version();
      keep_alive = message.keep_alive();
      Request request;
      request.method = std::string(message.method_string());
      std::string_view target = message.target();
      std::size_t question = target.find('?');
      request.path = std::string(target.substr(0, question));
      if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
      request.headers.reserve(16);
      for (const auto& field : message)
        request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      request.body = std::move(message.body());
      request.remote_ip = remote_ip;
      if (request.method == "OPTIONS") {
        response = plain(204, "");
      } else {
        ++in_flight;
        auto pending = std::make_shared<Pending>(io);
        std::weak_ptr<Pending> weak = pending;
        Responder respond = [weak](Response r) {
          auto p = weak.lock();
          if (!p || p->response) return;
          p->response = std::move(r);
          p->ready.cancel();
        };
        try {
          router.dispatch(request, respond);
        } catch (const std::exception&) {
          respond(plain(500, kInternalError));
        }
        if (!pending->response) co_await pending->ready.async_wait(kNoThrow);
        --in_flight;
        response = pending->response ? std::move(*pending->response) : plain(500, kInternalError);
      }
    }

    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(response.status), version};
    if (!response.content_type.empty() && response.status != 204) out.set(bhttp::field::content_type, response.content_type);
    out.set(bhttp::field::access_control_allow_origin, "*");
    out.set(bhttp::field::access_control_allow_methods, "GET, POST, PUT, DELETE, OPTIONS");
    out.set(bhttp::field::access_control_allow_headers, "X-Requested-With, Content-Type, Authorization");
    for (auto& [name, value] : response.headers) out.set(name, value);
    if (response.status != 204) out.body() = std::move(response.body);
    keep_alive = keep_alive && !stopping && !read_error;
    out.keep_alive(keep_alive);
    out.prepare_payload();
    stream.expires_after(std::chrono::seconds(30));
    auto [write_error, written] = co_await bhttp::async_write(stream, out, kNoThrow);
    (void)written;
    if (write_error) break;
    if (read_error) {
      // Lingering close: the client may still be sending the body we refused; drain a bounded
      // amount so it reads our answer instead of a connection reset.
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      stream.expires_after(std::chrono::seconds(2));
      std::array<char, 16384> sink;
      for (std::size_t drained = 0; drained < (16u << 20);) {
        auto [drain_error, n] = co_await stream.async_read_some(asio::buffer(sink), kNoThrow);
        if (drain_error) break;
        drained += n;
      }
      break;
    }
    if (!keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.socket().close(ignored);
}

Server::Server(ServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

Server::~Server() = default;

std::uint16_t Server::listen() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(impl_->options.address, ec);
  if (ec) throw std::runtime_error("invalid listen address " + impl_->options.address);
  tcp::endpoint endpoint(address, impl_->options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint, ec);
  if (ec) throw std::runtime_error(ec.message());
  acceptor.listen(asio::socket_base::max_listen_connections);
  return acceptor.local_endpoint().port();
}

void Server::run() {
  Impl& impl = *impl_;
  impl.signals.add(SIGINT);
  impl.signals.add(SIGTERM);
  impl.signals.async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec) stop();
  });
  std::signal(SIGPIPE, SIG_IGN);
  asio::co_spawn(impl.io, impl.accept_loop(), asio::detached);
  impl.io.run();
  impl.workers.join();
}

void Server::stop(std::chrono::milliseconds grace) {
  asio::post(impl_->io, [impl = impl_.get(), grace] {
    if (impl->stopping) return;
    impl->stopping = true;
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
    impl->signals.cancel(ignored);
    // Let requests in flight finish, checking every 20 ms, for at most `grace`.
    auto deadline = std::chrono::steady_clock::now() + grace;
    impl->drain_timer = std::make_unique<asio::steady_timer>(impl->io);
    auto check = std::make_shared<std::function<void()>>();
    *check = [impl, deadline, check] {
      if (impl->in_flight == 0 || std::chrono::steady_clock::now() >= deadline) {
        impl->io.stop();
        return;
      }
      impl->drain_timer->expires_after(std::chrono::milliseconds(20));
      impl->drain_timer->async_wait([check](const boost::system::error_code&) { (*check)(); });
    };
    (*check)();
  });
}

Scheduler& Server::scheduler() { return *impl_; }

}  // namespace myelin::http
