// The TLS listener and the outgoing HTTPS client, against each other: a server with a
// certificate from a CA the test makes (openssl CLI), and clients that trust it or not.
#include "http/https_client.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "http/http.h"

namespace myelin::http {
namespace {

// A CA, and a certificate it signed for localhost, hs1.test and 127.0.0.1.
struct TestPki {
  std::filesystem::path dir;
  TestPki() {
    char name[] = "/tmp/myelin-pki-XXXXXX";
    dir = ::mkdtemp(name);
    std::ofstream(dir / "ext.cnf") << "subjectAltName=DNS:localhost,DNS:hs1.test,IP:127.0.0.1\n";
    const std::string d = dir.string();
    const std::string script =
        "cd " + d +
        " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt "
        "-subj /CN=test-ca -days 2"
        " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr "
        "-subj /CN=hs1.test"
        " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 "
        "-extfile ext.cnf";
    if (std::system((script + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("openssl failed");
  }
  ~TestPki() { std::filesystem::remove_all(dir); }
  std::string file(const char* name) const { return (dir / name).string(); }
};

class HttpsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/hello", [](Request& r, Responder respond) {
      respond(Response{200,
                       "application/json",
                       std::string(r.header("Host")) + " " + std::string(r.header("Authorization")),
                       {{"Cache-Control", "max-age=60"}},
                       {}});
    });
    router_.add("POST", "/echo", [](Request& r, Responder respond) {
      respond(Response{200, std::string(r.header("Content-Type")), r.body, {}, {}});
    });
    router_.add("GET", "/big", [](Request&, Responder respond) {
      respond(Response{200, "application/json", std::string(100000, 'x'), {}, {}});
    });
    router_.add("GET", "/never", [this](Request&, Responder respond) { unanswered_.push_back(respond); });
    ServerOptions options;
    options.port = 0;
    options.tls = ServerOptions::TlsListener{"127.0.0.1", 0, pki_.file("server.crt"), pki_.file("server.key")};
    server_ = std::make_unique<Server>(options, router_);
    plain_port_ = server_->listen();
    tls_port_ = server_->tls_port();
    trusting_ = server_->https_client(trusting(256));
    distrusting_ = server_->https_client({});
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    server_->stop(std::chrono::milliseconds(100));
    thread_.join();
  }

  HttpsClientOptions trusting(std::size_t max_in_flight) const {
    HttpsClientOptions options;
    options.ca_file = pki_.file("ca.crt");
    options.max_in_flight = max_in_flight;
    return options;
  }
  HttpsRequest to_server(std::string target, std::string tls_name = "localhost") const {
    HttpsRequest request;
    request.host = "127.0.0.1";
    request.port = tls_port_;
    request.tls_name = std::move(tls_name);
    request.host_header = "hs1.test";
    request.target = std::move(target);
    request.timeout = std::chrono::milliseconds(5000);
    return request;
  }
  // Sends from the event loop, as the layers above do, and waits for the answer.
  HttpsResponse send(HttpsClient& client, HttpsRequest request) {
    std::promise<HttpsResponse> answer;
    server_->scheduler().post([&] {
      client.send(std::move(request), [&answer](HttpsResponse response) { answer.set_value(std::move(response)); });
    });
    return answer.get_future().get();
  }

  TestPki pki_;
  Router router_;
  std::vector<Responder> unanswered_;  // the loop's
  std::unique_ptr<Server> server_;
  std::unique_ptr<HttpsClient> trusting_, distrusting_;
  std::uint16_t plain_port_ = 0, tls_port_ = 0;
  std::thread thread_;
};

TEST_F(HttpsClientTest, ReachesTheTlsListenerWithTheHeadersGiven) {
  ASSERT_NE(tls_port_, 0);
  ASSERT_NE(tls_port_, plain_port_);
  auto request = to_server("/hello");
  request.headers = {{"Authorization", "X-Matrix origin=\"a\""}};
  const auto response = send(*trusting_, request);
  EXPECT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.body, "hs1.test X-Matrix origin=\"a\"");
  EXPECT_EQ(response.header("cache-control"), "max-age=60");
}

TEST_F(HttpsClientTest, SendsAJsonBody) {
  auto request = to_server("/echo");
  request.method = "POST";
  request.json_body = R"({"a":1})";
  const auto response = send(*trusting_, request);
  EXPECT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.body, R"({"a":1})");
  EXPECT_EQ(response.header("Content-Type"), "application/json");
}

TEST_F(HttpsClientTest, VerifiesAnIpAddressAgainstTheCertificatesAddresses) {
  const auto response = send(*trusting_, to_server("/hello", "127.0.0.1"));
  EXPECT_EQ(response.status, 200) << response.error;
}

TEST_F(HttpsClientTest, RefusesACertificateForAnotherName) {
  const auto response = send(*trusting_, to_server("/hello", "hs2.test"));
  EXPECT_EQ(response.status, 0);
  EXPECT_NE(response.error.find("TLS"), std::string::npos) << response.error;
}

TEST_F(HttpsClientTest, RefusesACertificateFromAnUntrustedAuthority) {
  const auto response = send(*distrusting_, to_server("/hello"));
  EXPECT_EQ(response.status, 0);
  EXPECT_NE(response.error.find("TLS"), std::string::npos) << response.error;
}

TEST_F(HttpsClientTest, RefusesAPlainHttpServer) {
  auto request = to_server("/hello");
  request.port = plain_port_;
  EXPECT_EQ(send(*trusting_, request).status, 0);
}

TEST_F(HttpsClientTest, BoundsTheAnswersSize) {
  auto request = to_server("/big");
  request.max_response_bytes = 1000;
  const auto response = send(*trusting_, request);
  EXPECT_EQ(response.status, 0);
  EXPECT_NE(response.error.find("too large"), std::string::npos) << response.error;
  request.max_response_bytes = 200000;
  EXPECT_EQ(send(*trusting_, request).status, 200);
}

TEST_F(HttpsClientTest, GivesUpAtTheTimeout) {
  auto request = to_server("/never");
  request.timeout = std::chrono::milliseconds(300);
  const auto started = std::chrono::steady_clock::now();
  const auto response = send(*trusting_, request);
  EXPECT_EQ(response.status, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST_F(HttpsClientTest, ChecksTheAddressBeforeConnecting) {
  auto request = to_server("/hello");
  request.may_connect = [](const std::string& ip) { return ip != "127.0.0.1"; };
  const auto response = send(*trusting_, request);
  EXPECT_EQ(response.status, 0);
  EXPECT_NE(response.error.find("not allowed"), std::string::npos) << response.error;
}

TEST_F(HttpsClientTest, BoundsTheRequestsInFlight) {
  auto bounded = server_->https_client(trusting(1));
  auto slow = to_server("/never");
  slow.timeout = std::chrono::milliseconds(500);
  std::promise<HttpsResponse> first, second;
  server_->scheduler().post([&] {
    bounded->send(slow, [&](HttpsResponse r) { first.set_value(std::move(r)); });
    bounded->send(to_server("/hello"), [&](HttpsResponse r) { second.set_value(std::move(r)); });
  });
  const auto refused = second.get_future().get();
  EXPECT_EQ(refused.status, 0);
  EXPECT_NE(refused.error.find("too many"), std::string::npos) << refused.error;
  EXPECT_EQ(first.get_future().get().status, 0);
  EXPECT_EQ(send(*bounded, to_server("/hello")).status, 200);
}

TEST(TlsListenerTest, RefusesToStartWithoutItsCertificate) {
  Router router;
  ServerOptions options;
  options.port = 0;
  options.tls = ServerOptions::TlsListener{"127.0.0.1", 0, "/nonexistent/cert.pem", "/nonexistent/key.pem"};
  Server server(options, router);
  EXPECT_THROW(server.listen(), std::runtime_error);
}

}  // namespace
}  // namespace myelin::http
