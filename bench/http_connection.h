// The bench's HTTP/1.1 client side, on plain POSIX sockets and one epoll set: a Connection
// carries one request at a time (keep-alive) to a loopback server and frames the answer by its
// Content-Length (myelin always sends one); a Poller waits on many connections at once. Bench
// code only: any protocol surprise throws std::runtime_error, which ends the run.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace myelin::bench {

using Clock = std::chrono::steady_clock;

struct Response {
  int status = 0;
  std::string body;
  Clock::time_point arrived;
};

// A request's bytes: method, path and query, a bearer token, and a JSON body when not empty.
std::string http_request(std::string_view method, std::string_view target, std::string_view token,
                         std::string_view body = {});

class Connection {
 public:
  Connection(const std::string& address, int port);  // connects, then switches to non-blocking
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_; }
  bool busy() const { return busy_; }
  bool wants_write() const { return !out_.empty(); }
  // Queues one request (none may be outstanding) and writes what the socket takes at once.
  void send(std::string request);
  // On readiness: writes what is queued, reads what arrived; a complete answer when there is one.
  std::optional<Response> on_ready();

 private:
  void flush();
  std::optional<Response> take_response();

  int fd_ = -1;
  bool busy_ = false;
  std::string out_;
  std::string in_;
};

// Level-triggered epoll over connections; `wait` returns the indices (as added) that are ready.
class Poller {
 public:
  Poller();
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  void add(Connection& connection, int index);
  void update(Connection& connection, int index);  // after send or on_ready: watch writability while queued
  std::vector<int> wait(int timeout_ms);

 private:
  int fd_ = -1;
  std::vector<bool> writing_;
};

}  // namespace myelin::bench
