#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "http/http.h"

namespace myelin::http {
namespace {

// A blocking loopback client speaking raw HTTP/1.1.
class Client {
 public:
  // `from`: the loopback address to connect from.
  explicit Client(std::uint16_t port, const char* from = "127.0.0.1") {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in source{};
    source.sin_family = AF_INET;
    inet_pton(AF_INET, from, &source.sin_addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&source), sizeof source) != 0) throw std::runtime_error("bind");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) throw std::runtime_error("connect");
  }
  ~Client() { close(fd_); }
  void send(const std::string& data) {
    ASSERT_EQ(::send(fd_, data.data(), data.size(), 0), static_cast<ssize_t>(data.size()));
  }
  // Reads one response (headers + Content-Length body).
  std::string response() {
    while (true) {
      auto end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t length = 0;
        auto cl = buffer_.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) length = std::stoul(buffer_.substr(cl + 16));
        if (buffer_.size() >= end + 4 + length) {
          std::string out = buffer_.substr(0, end + 4 + length);
          buffer_.erase(0, end + 4 + length);
          return out;
        }
      }
      char chunk[4096];
      ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return std::exchange(buffer_, "");
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/hello", [](Request& r, Responder respond) {
      respond(Response{200, "application/json", R"({"hello":")" + r.remote_ip + "\"}", {}, {}});
    });
    router_.add("POST", "/echo", [](Request& r, Responder respond) {
      respond(Response{200, "application/json", r.body, {}, {}});
    });
    router_.add(
        "POST", "/echo-large",
        [](Request& r, Responder respond) {
          respond(Response{200, "application/json", std::to_string(r.body.size()), {}, {}});
        },
        std::nullopt, 8192);
    router_.add("GET", "/later", [this](Request&, Responder respond) {
      timer_ = server_->scheduler().after(std::chrono::milliseconds(50), [respond] {
        respond(Response{200, "application/json", R"({"late":true})", {}, {}});
      });
    });
    router_.add("GET", "/throw", [](Request&, Responder) { throw std::runtime_error("boom"); });
    router_.add("GET", "/dropped", [](Request&, Responder) {});
    router_.add("GET", "/missing-file", [](Request&, Responder respond) {
      Response response{200, "application/octet-stream", "", {}, {}};
      response.file = Response::FileRange{"/nonexistent/myelin-test-file", 0, 10, "", ""};
      respond(std::move(response));
    });
    router_.add("GET", "/framed-file", [](Request&, Responder respond) {
      const std::string path = ::testing::TempDir() + "/myelin-framed-file";
      std::ofstream(path, std::ios::binary) << std::string(100'000, 'x') << "END";
      Response response{200, "multipart/mixed", "", {}, {}};
      response.file = Response::FileRange{path, 99'990, 13, "<before>", "<after>"};
      respond(std::move(response));
    });
    router_.add("GET", "/twice", [](Request&, Responder respond) {
      respond(Response{200, "application/json", R"({"first":true})", {}, {}});
      respond(Response{201, "application/json", R"({"second":true})", {}, {}});
    });
    router_.add("GET", "/continuation-throws", [this](Request&, Responder respond) {
      server_->scheduler().run_blocking([] {}, [respond] { throw std::runtime_error("disk full"); });
    });
    router_.add("GET", "/timer-throws", [this](Request&, Responder respond) {
      timer_ = server_->scheduler().after(std::chrono::milliseconds(10), [respond] { throw std::runtime_error("x"); });
    });
    router_.add("GET", "/slow", [this](Request&, Responder respond) {
      server_->scheduler().run_blocking([] { std::this_thread::sleep_for(std::chrono::milliseconds(1000)); },
                                        [respond] {
                                          respond(Response{200, "application/json", R"({"slow":true})", {}, {}});
                                        });
    });
    ServerOptions options;
    options.port = 0;
    options.max_body_bytes = 1024;
    options.max_header_bytes = 4096;
    options.header_timeout = std::chrono::seconds(1);
    options.max_connections_per_address = 4;
    options.error_body = [](int status) {
      return status == 500 ? std::string(R"({"errcode":"M_UNKNOWN"})")
                           : R"({"errcode":"E)" + std::to_string(status) + "\"}";
    };
    // hold_: 0 sends each answer at once; 1 and 2 hold it 50 ms, then send it (1) or fail it (2).
    options.hold_answer = [this](std::function<void(bool)> send) {
      const int mode = hold_.load();
      if (mode == 0) return send(true);
      held_timers_.push_back(
          server_->scheduler().after(std::chrono::milliseconds(50), [send, mode] { send(mode == 1); }));
    };
    server_ = std::make_unique<Server>(options, router_);
    port_ = server_->listen();
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    server_->stop(std::chrono::milliseconds(100));
    thread_.join();
  }
  Router router_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<Timer> timer_;
  std::atomic<int> hold_{0};
  std::vector<std::unique_ptr<Timer>> held_timers_;  // the loop's
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  Client client(port_);
  client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  auto first = client.response();
  EXPECT_NE(first.find("200 OK"), std::string::npos);
  EXPECT_NE(first.find(R"({"hello":"127.0.0.1"})"), std::string::npos);
  EXPECT_NE(first.find("Access-Control-Allow-Origin: *"), std::string::npos);
  client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
  EXPECT_NE(client.response().find("{\"a\":1}"), std::string::npos);
}

TEST_F(ServerTest, OversizedBodyGets413WithBody) {
  Client client(port_);
  client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'a'));
  auto response = client.response();
  EXPECT_NE(response.find("413"), std::string::npos);
  EXPECT_NE(response.find("E413"), std::string::npos);
}

TEST_F(ServerTest, ARouteMayTakeLargerBodiesThanTheServersLimit) {
  Client client(port_);
  client.send("POST /echo-large HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'a'));
  EXPECT_NE(client.response().find("\r\n\r\n5000"), std::string::npos);
  Client other(port_);
  other.send("POST /echo-large HTTP/1.1\r\nHost: x\r\nContent-Length: 9000\r\n\r\n" + std::string(9000, 'a'));
  EXPECT_NE(other.response().find("413"), std::string::npos);
}

TEST_F(ServerTest, GarbageGets400) {
  Client client(port_);
  client.send("NOT HTTP AT ALL\r\n\r\n");
  EXPECT_NE(client.response().find("400"), std::string::npos);
}

TEST_F(ServerTest, OptionsIsAnsweredWithCors) {
  Client client(port_);
  client.send("OPTIONS /anything HTTP/1.1\r\nHost: x\r\n\r\n");
  auto response = client.response();
  EXPECT_NE(response.find("204"), std::string::npos);
  EXPECT_NE(response.find("Access-Control-Allow-Headers: X-Requested-With, Content-Type, Authorization"),
            std::string::npos);
}

TEST_F(ServerTest, DelayedResponderAndHandlerExceptions) {
  Client client(port_);
  client.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(client.response().find(R"({"late":true})"), std::string::npos);
  client.send("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n");
  auto response = client.response();
  EXPECT_NE(response.find("500"), std::string::npos);
  EXPECT_NE(response.find("M_UNKNOWN"), std::string::npos);
}

TEST_F(ServerTest, BlockingWorkDoesNotStallTheLoop) {
  Client slow(port_);
  slow.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto started = std::chrono::steady_clock::now();
  Client quick(port_);
  quick.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(quick.response().find("hello"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500));
  EXPECT_NE(slow.response().find(R"({"slow":true})"), std::string::npos);
}

TEST_F(ServerTest, LongRequestLineGets414AndLongHeadersGet431) {
  Client line(port_);
  line.send("GET /" + std::string(5000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  auto response = line.response();
  EXPECT_NE(response.find("HTTP/1.1 414"), std::string::npos) << response;
  EXPECT_NE(response.find("E414"), std::string::npos);
  Client headers(port_);
  headers.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(5000, 'b') + "\r\n\r\n");
  response = headers.response();
  EXPECT_NE(response.find("HTTP/1.1 431"), std::string::npos) << response;
  EXPECT_NE(response.find("E431"), std::string::npos);
  // A request line within the limit but longer than the parser's first read, then too many
  // header bytes: the headers are at fault.
  Client both(port_);
  both.send("GET /" + std::string(2000, 'a') + " HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(5000, 'b') + "\r\n\r\n");
  response = both.response();
  EXPECT_NE(response.find("HTTP/1.1 431"), std::string::npos) << response;
}

// Every request gets exactly one answer: the fallback 500 when the handler (or what it left
// to run later) drops its responder or throws, the first answer when it answers twice.
TEST_F(ServerTest, EveryRequestIsAnsweredExactlyOnce) {
  Client client(port_);
  for (const char* path : {"/dropped", "/continuation-throws", "/timer-throws", "/throw", "/missing-file"}) {
    client.send(std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    auto response = client.response();
    EXPECT_NE(response.find("HTTP/1.1 500"), std::string::npos) << path << ": " << response;
    EXPECT_NE(response.find("M_UNKNOWN"), std::string::npos) << path;
  }
  client.send("GET /twice HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(client.response().find(R"({"first":true})"), std::string::npos);
  EXPECT_NE(client.response().find("hello"), std::string::npos);  // not the dropped second answer
}

TEST_F(ServerTest, AFileIsSentBetweenItsFraming) {
  Client client(port_);
  client.send("GET /framed-file HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string response = client.response();
  EXPECT_NE(response.find("Content-Length: 28\r\n"), std::string::npos) << response;
  EXPECT_TRUE(response.ends_with("\r\n\r\n<before>xxxxxxxxxxEND<after>")) << response;
}

TEST_F(ServerTest, ConnectionsPerAddressAreCapped) {
  std::vector<std::unique_ptr<Client>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<Client>(port_));
    held.back()->send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_NE(held.back()->response().find("200 OK"), std::string::npos);
  }
  Client extra(port_);
  extra.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(extra.response(), "");  // closed at accept
  Client other(port_, "127.0.0.2");
  other.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(other.response().find(R"({"hello":"127.0.0.2"})"), std::string::npos);
  held.pop_back();  // a slot comes free
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Client again(port_);
  again.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(again.response().find("200 OK"), std::string::npos);
}

TEST_F(ServerTest, FirstRequestHeadersHaveADeadline) {
  Client silent(port_);
  Client served(port_);
  served.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(served.response().find("200 OK"), std::string::npos);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(silent.response(), "");  // closed without a request
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  // A connection that sent its first request may idle longer between requests.
  served.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(served.response().find("200 OK"), std::string::npos);
}

// An answer goes out only when the hold lets it; a failed hold turns it into a 500.
TEST_F(ServerTest, AnswersWaitForTheHold) {
  Client client(port_);
  hold_ = 1;
  const auto start = std::chrono::steady_clock::now();
  client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(client.response().find("hello"), std::string::npos);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  hold_ = 2;
  client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  auto failed = client.response();
  EXPECT_NE(failed.find("HTTP/1.1 500"), std::string::npos) << failed;
  EXPECT_NE(failed.find("M_UNKNOWN"), std::string::npos);
}

}  // namespace
}  // namespace myelin::http
