#include "http_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace myelin::bench {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

// The value of a header (case-insensitive name) in a response head, or empty.
std::string_view header(std::string_view head, std::string_view name) {
  for (std::size_t at = head.find("\r\n"); at != std::string_view::npos; at = head.find("\r\n", at + 2)) {
    std::string_view line = head.substr(at + 2, head.find("\r\n", at + 2) - at - 2);
    if (line.size() <= name.size() || line[name.size()] != ':') continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(line[i])) == name[i];
    if (!same) continue;
    line.remove_prefix(name.size() + 1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    return line;
  }
  return {};
}

std::size_t number(std::string_view text, const char* what) {
  std::size_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end == text.data()) throw std::runtime_error(std::string("bad ") + what);
  return value;
}

}  // namespace

std::string http_request(std::string_view method, std::string_view target, std::string_view token,
                         std::string_view body) {
  std::string out;
  out.reserve(256 + target.size() + body.size());
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  out.append("Authorization: Bearer ").append(token).append("\r\n");
  if (!body.empty()) out.append("Content-Type: application/json\r\n");
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n").append(body);
  return out;
}

Connection::Connection(const std::string& address, int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) fail("socket");
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, address.c_str(), &to.sin_addr) != 1) throw std::runtime_error("bad address " + address);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) fail("connect");
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

Connection::~Connection() { ::close(fd_); }

void Connection::send(std::string request) {
  if (busy_) throw std::runtime_error("a request is already outstanding");
  busy_ = true;
  out_ = std::move(request);
  flush();
}

void Connection::flush() {
  while (!out_.empty()) {
    ssize_t n = ::write(fd_, out_.data(), out_.size());
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n < 0) fail("write");
    out_.erase(0, static_cast<std::size_t>(n));
  }
}

std::optional<Response> Connection::on_ready() {
  flush();
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) fail("read");
    if (n == 0) throw std::runtime_error("the server closed a connection");
    in_.append(buffer, static_cast<std::size_t>(n));
  }
  return take_response();
}

std::optional<Response> Connection::take_response() {
  std::size_t end = in_.find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  std::string_view head(in_.data(), end);
  std::size_t length = number(header(head, "content-length"), "Content-Length");
  if (in_.size() < end + 4 + length) return std::nullopt;
  if (!head.starts_with("HTTP/1.1 ") || head.size() < 12) throw std::runtime_error("bad status line");
  Response response{static_cast<int>(number(head.substr(9, 3), "status")), in_.substr(end + 4, length), Clock::now()};
  in_.erase(0, end + 4 + length);
  busy_ = false;
  return response;
}

Poller::Poller() : fd_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (fd_ < 0) fail("epoll_create1");
}

Poller::~Poller() { ::close(fd_); }

void Poller::add(Connection& connection, int index) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u32 = static_cast<std::uint32_t>(index);
  if (::epoll_ctl(fd_, EPOLL_CTL_ADD, connection.fd(), &event) != 0) fail("epoll_ctl");
}

void Poller::update(Connection& connection, int index) {
  if (writing_.size() <= static_cast<std::size_t>(index)) writing_.resize(index + 1);
  if (writing_[index] == connection.wants_write()) return;  // usually: the request left in one write
  writing_[index] = connection.wants_write();
  epoll_event event{};
  event.events = EPOLLIN | (writing_[index] ? EPOLLOUT : 0u);
  event.data.u32 = static_cast<std::uint32_t>(index);
  if (::epoll_ctl(fd_, EPOLL_CTL_MOD, connection.fd(), &event) != 0) fail("epoll_ctl");
}

std::vector<int> Poller::wait(int timeout_ms) {
  epoll_event events[256];
  int n = ::epoll_wait(fd_, events, 256, timeout_ms);
  if (n < 0 && errno != EINTR) fail("epoll_wait");
  std::vector<int> ready;
  for (int i = 0; i < n; ++i) ready.push_back(static_cast<int>(events[i].data.u32));
  return ready;
}

}  // namespace myelin::bench
