#include "homeserver/federation/https_transport.h"

#include <gtest/gtest.h>

#include "homeserver/federation/x_matrix.h"

namespace myelin::homeserver {
namespace {

// Keeps the requests it is given and answers each with `answer`.
class FakeClient final : public http::HttpsClient {
 public:
  void send(http::HttpsRequest request, std::function<void(http::HttpsResponse)> done) override {
    sent.push_back(std::move(request));
    done(answer);
  }
  std::vector<http::HttpsRequest> sent;
  http::HttpsResponse answer{200, R"({"ok":true})", {}, {}};
};

class HttpsTransportTest : public ::testing::Test {
 protected:
  HttpsTransportTest() {
    options_.server_name = "hs1.test";
    options_.enabled = true;
    options_.resolve["hs2.test"] = "127.0.0.1:8449";
    network_.fetch = [](http::HttpsRequest, std::function<void(http::HttpsResponse)> done) {
      done(http::HttpsResponse{404, {}, {}, {}});
    };
    network_.srv = [](const std::string&, std::function<void(std::optional<SrvRecord>)> done) { done(std::nullopt); };
  }
  IncomingResponse send(OutgoingRequest request) {
    HttpsTransport transport(options_, key_, scheduler_, client_, network_);
    std::optional<IncomingResponse> answer;
    transport.send(std::move(request), [&answer](IncomingResponse response) {
      EXPECT_FALSE(answer.has_value());
      answer = std::move(response);
    });
    EXPECT_TRUE(answer.has_value());
    return answer.value_or(IncomingResponse{});
  }

  FederationOptions options_;
  core::SigningKey key_ = core::SigningKey::generate("k1");
  http::InlineScheduler scheduler_;
  FakeClient client_;
  DiscoveryNetwork network_;
};

OutgoingRequest put_to(std::string destination) {
  OutgoingRequest request;
  request.destination = std::move(destination);
  request.method = "PUT";
  request.target = "/_matrix/federation/v1/send/1";
  request.body = json::object{{"pdus", json::array{}}};
  request.max_response_bytes = 5000;
  request.timeout = std::chrono::seconds(7);
  return request;
}

TEST_F(HttpsTransportTest, SignsAsThisServerToTheDestinationsServerName) {
  const auto response = send(put_to("hs2.test"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"ok":true})");
  ASSERT_EQ(client_.sent.size(), 1u);
  const auto& sent = client_.sent.front();
  EXPECT_EQ(sent.host, "127.0.0.1");
  EXPECT_EQ(sent.port, 8449);
  EXPECT_EQ(sent.tls_name, "hs2.test");
  EXPECT_EQ(sent.host_header, "hs2.test");
  EXPECT_EQ(sent.method, "PUT");
  EXPECT_EQ(sent.target, "/_matrix/federation/v1/send/1");
  EXPECT_EQ(sent.json_body, R"({"pdus":[]})");
  EXPECT_EQ(sent.max_response_bytes, 5000u);
  EXPECT_EQ(sent.timeout, std::chrono::seconds(7));
  EXPECT_FALSE(sent.may_connect);  // a configured address is the operator's choice
  ASSERT_EQ(sent.headers.size(), 1u);
  EXPECT_EQ(sent.headers[0].first, "Authorization");
  const json::value body = json::object{{"pdus", json::array{}}};
  EXPECT_EQ(sent.headers[0].second,
            x_matrix_authorization({"PUT", "/_matrix/federation/v1/send/1", "hs1.test", "hs2.test", &body}, key_));
}

TEST_F(HttpsTransportTest, DelegatedServersAreSignedForTheirServerNameAndAddressChecked) {
  network_.fetch = [](http::HttpsRequest, std::function<void(http::HttpsResponse)> done) {
    done(http::HttpsResponse{200, R"({"m.server":"matrix.example.net:443"})", {}, {}});
  };
  send(put_to("example.org"));
  ASSERT_EQ(client_.sent.size(), 1u);
  const auto& sent = client_.sent.front();
  EXPECT_EQ(sent.host, "matrix.example.net");
  EXPECT_EQ(sent.host_header, "matrix.example.net:443");
  EXPECT_NE(sent.headers[0].second.find("destination=\"example.org\""), std::string::npos);
  ASSERT_TRUE(sent.may_connect);
  EXPECT_FALSE(sent.may_connect("10.0.0.1"));
  EXPECT_TRUE(sent.may_connect("93.184.216.34"));
}

TEST_F(HttpsTransportTest, UnsignedRequestsCarryNoAuthorization) {
  auto request = put_to("hs2.test");
  request.method = "GET";
  request.body.reset();
  request.sign = false;
  send(request);
  ASSERT_EQ(client_.sent.size(), 1u);
  EXPECT_TRUE(client_.sent.front().headers.empty());
  EXPECT_FALSE(client_.sent.front().json_body);
}

TEST_F(HttpsTransportTest, NoAnswerIsStatusZero) {
  client_.answer = http::HttpsResponse{0, {}, "timed out", {}};
  const auto response = send(put_to("hs2.test"));
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.error, "timed out");
}

TEST_F(HttpsTransportTest, DeniedOrDisabledSendsNothing) {
  options_.denied_servers = {"hs2.test"};
  EXPECT_EQ(send(put_to("hs2.test")).status, 0);
  options_.denied_servers.clear();
  options_.enabled = false;
  EXPECT_EQ(send(put_to("hs2.test")).status, 0);
  options_.enabled = true;
  EXPECT_EQ(send(put_to("not a name")).status, 0);
  EXPECT_TRUE(client_.sent.empty());
}

}  // namespace
}  // namespace myelin::homeserver
