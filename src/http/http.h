#pragma once
// The HTTP layer: a keep-alive HTTP/1.1 server on Boost.Beast with C++20 coroutines, a
// router, CORS, request limits, a timer scheduler and a token-bucket rate limiter. It knows no
// Matrix types; Beast and Asio stay inside this folder's .cc files.
//
// Threading: handlers, responders, gates and scheduled callbacks are all invoked on one
// event-loop thread (the one that calls Server::run), so the layers above need no locks. The
// connections themselves (socket I/O, HTTP parsing, writing answers) run on a thread of the
// server's own, and Scheduler::run_blocking's work on a small worker pool.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace myelin::http {

class HttpsClient;  // https_client.h
struct HttpsClientOptions;

struct Request {
  std::string method;  // "GET", "PUT", ...
  std::string path;    // raw (still percent-encoded) path, no query
  std::string query;   // raw query string without '?'
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Routes with a streamed body (Router::add's `streamed_body_limit`): the body went to this
  // temporary file instead of `body`. The handler may take the file (rename it); whatever is
  // still at this path once the response is sent is deleted.
  std::string body_file;
  std::uint64_t body_size = 0;
  std::string remote_ip;  // textual peer address
  // Who made the request, once a layer above has authenticated it: shown in the request log.
  std::string user;
  // Path parameters captured by the router, percent-decoded, in pattern order.
  std::vector<std::string> params;

  // Case-insensitive header lookup; empty when absent.
  std::string_view header(std::string_view name) const;
  // Decoded query parameter ('+' is a space, %XX escapes); nullopt when absent. The first wins.
  std::optional<std::string> query_param(std::string_view name) const;
  std::vector<std::string> query_params(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Instead of `body`: `length` bytes of the file at `path` from `offset`, read in chunks as
  // they are sent (downloads), between the bytes of `before` and `after` (a multipart answer's
  // framing). Unreadable at send time: a 500 instead.
  struct FileRange {
    std::string path;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    std::string before, after;
    std::uint64_t total() const { return before.size() + length + after.size(); }
  };
  std::optional<FileRange> file;
};

// A "Range: bytes=..." header against a resource of `size` bytes: the one range asked for
// (first byte, length); kWhole when absent, malformed or multiple (the whole resource is
// sent), kUnsatisfiable when it lies beyond the end (416).
struct ByteRange {
  enum Kind { kRange, kWhole, kUnsatisfiable } kind = kWhole;
  std::uint64_t first = 0;
  std::uint64_t length = 0;
};
ByteRange parse_byte_range(std::string_view header, std::uint64_t size);

// Completes a request, now or later, on the event-loop thread (copies too must live and die
// there). Copies share one answer: the first call is sent, later calls are dropped and logged.
// When the last copy goes away without having been called (a handler or a continuation that
// threw, or forgot), the request gets `fallback` instead, so every request is answered exactly
// once. Calling it after the client went away is harmless.
class Responder {
 public:
  using Sink = std::function<void(Response)>;
  Responder(Sink sink, Response fallback);
  void operator()(Response response) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};
using Handler = std::function<void(Request&, Responder)>;

// Percent-decodes a path segment or query value; nullopt on malformed escapes.
std::optional<std::string> percent_decode(std::string_view text);
// Percent-encodes every byte but RFC 3986's unreserved characters (letters, digits, - . _ ~):
// safe as a path segment, a query value or RFC 5987's filename*.
std::string percent_encode(std::string_view text);

// The request's path and query for the request log, cut to 1024 characters: the values of the
// query parameters named in `secret_params` replaced by "<redacted>", and so are the path
// segments that `pattern` (the route the path matched, Router::pattern; empty: none) captures
// in a {name} or {name...} named there.
std::string loggable_target(const Request& request, const std::vector<std::string>& secret_params,
                            std::string_view pattern = {});

// Matches METHOD + path against patterns like "/_matrix/client/v3/rooms/{roomId}/send/{type}/{txnId}".
// A {name} segment matches one non-empty path segment; a trailing "{name...}" matches the rest.
// An unmatched path calls `not_found`, a matched path with another method `wrong_method`.
// Decides from a request's head (method, path, query, headers; no body yet) whether its body
// may be read: nullopt to go on, or the refusal to answer instead (unauthenticated, over quota).
using Gate = std::function<std::optional<Response>(const Request& head)>;

struct StreamedBody {
  std::uint64_t limit = 0;  // bytes
  Gate gate;
};

class Router {
 public:
  // With a `streamed` body the route's body goes to a temporary file (up to its limit, after
  // its gate let it in) rather than into memory under ServerOptions::max_body_bytes. HEAD
  // requests are served by the GET routes.
  // `body_limit` (0: ServerOptions::max_body_bytes) is the largest in-memory body the route
  // takes.
  void add(std::string_view method, std::string_view pattern, Handler handler,
           std::optional<StreamedBody> streamed = std::nullopt, std::uint64_t body_limit = 0);
  void set_fallbacks(Handler not_found, Handler wrong_method);
  void dispatch(Request& request, Responder respond) const;
  // The streamed-body settings of the route `method path` would reach (nullopt: in memory).
  const StreamedBody* streamed_body(std::string_view method, std::string_view path) const;
  // The in-memory body limit of the route `method path` would reach (0: the server's).
  std::uint64_t body_limit(std::string_view method, std::string_view path) const;
  // The pattern of the route `method path` would reach, as given to add(); empty when none.
  std::string_view pattern(std::string_view method, std::string_view path) const;

 private:
  struct Route;
  const Route* find(std::string_view method, std::string_view path) const;
  std::vector<std::shared_ptr<Route>> routes_;
  Handler not_found_, wrong_method_;
};

// Timers on the event loop. Callbacks run on the loop thread; cancel() before it fires
// prevents it from running. An exception from a callback (or a continuation) is caught and
// logged where it runs; the responders it captured go with it, so their requests get the
// fallback answer.
class Timer {
 public:
  virtual ~Timer() = default;
  virtual void cancel() = 0;
};
class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual void post(std::function<void()> fn) = 0;
  virtual std::unique_ptr<Timer> after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  // Runs CPU-heavy `work` (password hashing) on a worker thread, then `then` on the loop
  // thread. `work` must touch nothing the loop owns (no responders either).
  virtual void run_blocking(std::function<void()> work, std::function<void()> then) = 0;
  // The same for `work` that mostly waits on the network (outgoing requests to other
  // servers): the server gives it threads of its own, so a slow peer never keeps the pool from
  // CPU work.
  virtual void run_waiting(std::function<void()> work, std::function<void()> then) {
    run_blocking(std::move(work), std::move(then));
  }
};

// A scheduler without an event loop or a pool, for the command line and tests: posted and
// blocking work runs at once on the caller's thread, so every callback has run on return.
// Timers are not available (after() returns nullptr and never runs).
class InlineScheduler final : public Scheduler {
 public:
  void post(std::function<void()> fn) override { fn(); }
  std::unique_ptr<Timer> after(std::chrono::milliseconds, std::function<void()>) override { return nullptr; }
  void run_blocking(std::function<void()> work, std::function<void()> then) override {
    work();
    then();
  }
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8008;                // 0 picks a free port
  std::size_t max_body_bytes = 1 << 20;     // larger bodies get 413
  std::size_t max_header_bytes = 16 << 10;  // a longer request line gets 414, longer headers 431
  std::chrono::seconds header_timeout{10};  // a new connection's first request headers
  std::chrono::seconds idle_timeout{75};    // keep-alive connections between requests
  std::size_t max_connections = 10000;      // beyond this, new connections are closed
  // Open connections from one address (IPv4 address, or IPv6 /64) at most; 0 for no limit.
  std::size_t max_connections_per_address = 100;
  // The body of the answers the server gives itself (status 400, 413, 414, 431, and 500 for a
  // request its handler never answered); "{}" when unset.
  std::function<std::string(int status)> error_body;
  std::string upload_dir;  // temporary files of streamed bodies
  // Query parameters, and path parameters ({name} in a route's pattern), whose values never
  // reach the request log (logged at debug level).
  std::vector<std::string> secret_params;
  // Called on the loop with each answer a handler gives, before it is written: it goes out when
  // `send(true)` is called, and becomes a 500 on `send(false)`; `send` may be called on any
  // thread. app/ holds answers here until the writes before them are durable
  // (storage/group_commit.h). Unset: answers go out at once.
  std::function<void(std::function<void(bool ok)> send)> hold_answer;
  // A second listening address served over TLS (federation's port), with the same router,
  // limits and timeouts (the TLS handshake counts towards header_timeout).
  struct TlsListener {
    std::string address = "0.0.0.0";
    std::uint16_t port = 8448;           // 0 picks a free port
    std::string certificate_chain_file;  // PEM: the server's certificate, then its intermediates
    std::string private_key_file;        // PEM
  };
  std::optional<TlsListener> tls;
};

// One server on one listening address. run() blocks until stop(); stop() is safe from a signal
// handler context via the event loop (it is posted): it runs the on_stop callbacks (the layers
// above answer their parked long-polls), then lets in-flight requests finish for up to `grace`
// before closing connections.
class Server {
 public:
  Server(ServerOptions options, const Router& router);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens (on ServerOptions::tls too, when set); returns the bound port (useful
  // with port 0). Throws std::runtime_error when an address cannot be bound or the TLS
  // certificate or key cannot be read.
  std::uint16_t listen();
  // The TLS listener's bound port after listen(); 0 without one.
  std::uint16_t tls_port() const;
  // Runs the event loop on the calling thread until stop() and the drain completes. SIGINT
  // and SIGTERM trigger stop().
  void run();
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  // Called on the event loop when stop() begins, before the drain.
  void on_stop(std::function<void()> callback);
  Scheduler& scheduler();
  // An outgoing HTTPS client on this server's loops (https_client.h), to be destroyed before
  // the server. Throws std::runtime_error when options.ca_file cannot be read.
  std::unique_ptr<HttpsClient> https_client(const HttpsClientOptions& options);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Token buckets keyed by string (user ID, IP address). allow() returns 0 when the request may
// proceed, otherwise the milliseconds until it may. Idle buckets are dropped so memory stays
// bounded by the number of recently active keys.
class RateLimiter {
 public:
  RateLimiter(double per_second, double burst);
  std::int64_t allow(std::string_view key, std::chrono::steady_clock::time_point now);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  double per_second_, burst_;
  std::map<std::string, Bucket, std::less<>> buckets_;
  std::chrono::steady_clock::time_point last_sweep_{};
};

}  // namespace myelin::http
