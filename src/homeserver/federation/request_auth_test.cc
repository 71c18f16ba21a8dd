#include "homeserver/federation/request_auth.h"

#include <gtest/gtest.h>

#include "homeserver/federation/x_matrix.h"

namespace myelin::homeserver {
namespace {

TEST(XMatrixParse, AcceptsTheSpecsVariants) {
  auto parsed =
      parse_x_matrix(R"(X-Matrix origin="a.example:8448",destination="b.example",key="ed25519:k",sig="c2ln")");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->origin, "a.example:8448");
  EXPECT_EQ(parsed->destination, "b.example");
  EXPECT_EQ(parsed->key, "ed25519:k");
  EXPECT_EQ(parsed->sig, "c2ln");
  // Bare tokens with colons, names in any case, spaces around commas, escapes, unknown names.
  parsed = parse_x_matrix("x-matrix  Origin=a.example:8448 , KEY=ed25519:k,\tsig=\"c\\2ln\",future=1");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->origin, "a.example:8448");
  EXPECT_EQ(parsed->destination, "");
  EXPECT_EQ(parsed->sig, "c2ln");
}

TEST(XMatrixParse, RefusesMalformedHeaders) {
  for (const char* header : {"", "Bearer abc", "X-Matrix", "X-Matrixorigin=a,key=k,sig=s", "X-Matrix origin=a,key=k",
                             "X-Matrix origin=\"a,key=k,sig=s", "X-Matrix origin=a key=k sig=s",
                             "X-Matrix origin=,key=k,sig=s", "X-Matrix =a,key=k,sig=s"})
    EXPECT_FALSE(parse_x_matrix(header)) << header;
}

struct FixedKeys final : KeyFetcher {
  std::map<std::pair<std::string, std::string>, VerifyKey> keys;
  std::vector<KeyNeed> asked;
  void fetch(std::vector<KeyNeed> needs, std::function<void(KeyLookup)> done) override {
    asked.insert(asked.end(), needs.begin(), needs.end());
    done([this](std::string_view server, std::string_view key_id) -> std::optional<VerifyKey> {
      auto it = keys.find({std::string(server), std::string(key_id)});
      return it == keys.end() ? std::nullopt : std::optional(it->second);
    });
  }
};

struct RequestAuthTest : ::testing::Test {
  FederationOptions options = [] {
    FederationOptions o;
    o.server_name = "here.example";
    o.enabled = true;
    o.denied_servers = {"bad.example"};
    return o;
  }();
  core::SigningKey key = core::SigningKey::generate("k");
  FixedKeys keys;
  RequestAuthenticator auth{options, keys};

  void SetUp() override { keys.keys[{"there.example", key.key_id()}] = {key.public_key_base64(), INT64_MAX, {}}; }

  core::Result<std::string> check(std::string_view method, std::string_view target, std::string_view body,
                                  const std::string& authorization) {
    std::optional<core::Result<std::string>> result;
    auth.authenticate({method, target, body, authorization}, [&](core::Result<std::string> r) { result = r; });
    return *result;
  }
  std::string sign(std::string_view origin, std::string_view destination, std::string_view method,
                   std::string_view target, const json::value* content) {
    return x_matrix_authorization({method, target, origin, destination, content}, key);
  }
};

TEST_F(RequestAuthTest, AcceptsASignedRequest) {
  const json::value body = json::object{{"pdus", json::array{}}};
  const std::string header = sign("there.example", "here.example", "PUT", "/_matrix/federation/v1/send/1", &body);
  auto origin = check("PUT", "/_matrix/federation/v1/send/1", core::to_string(body), header);
  ASSERT_TRUE(origin) << origin.error().message;
  EXPECT_EQ(*origin, "there.example");
  ASSERT_EQ(keys.asked.size(), 1u);
  EXPECT_GT(keys.asked[0].minimum_valid_until_ts, 0);  // the key must be valid now
}

TEST_F(RequestAuthTest, RefusesWhatDoesNotVerify) {
  const json::value body = json::object{{"a", 1}};
  const std::string header = sign("there.example", "here.example", "PUT", "/t", &body);
  auto status = [&](core::Result<std::string> r) { return r ? 200 : r.error().http_status; };
  EXPECT_EQ(status(check("PUT", "/t", R"({"a":2})", header)), 401);      // another body
  EXPECT_EQ(status(check("PUT", "/t?x=1", R"({"a":1})", header)), 401);  // another target
  EXPECT_EQ(status(check("POST", "/t", R"({"a":1})", header)), 401);     // another method
  EXPECT_EQ(status(check("PUT", "/t", R"({"a":1})", "")), 401);
  EXPECT_EQ(status(check("PUT", "/t", "{", header)), 400);  // not JSON
  // Addressed to another server.
  EXPECT_EQ(status(check("PUT", "/t", R"({"a":1})", sign("there.example", "third.example", "PUT", "/t", &body))), 401);
  // A key we cannot get, and an old key.
  EXPECT_EQ(status(check("PUT", "/t", R"({"a":1})", sign("unknown.example", "here.example", "PUT", "/t", &body))), 401);
  keys.keys[{"there.example", key.key_id()}].expired_ts = 1;
  EXPECT_EQ(status(check("PUT", "/t", R"({"a":1})", header)), 401);
  // Refused by the config.
  EXPECT_EQ(status(check("PUT", "/t", R"({"a":1})", sign("bad.example", "here.example", "PUT", "/t", &body))), 403);
  // While federation is disabled.
  options.enabled = false;
  EXPECT_EQ(status(check("PUT", "/t", R"({"a":1})", header)), 403);
  options.enabled = true;
  // An origin that is no server name.
  EXPECT_EQ(status(check("PUT", "/t", R"({"a":1})", sign("a.example:http", "here.example", "PUT", "/t", &body))), 400);
  // Claiming to be us.
  EXPECT_EQ(status(check("PUT", "/t", R"({"a":1})", sign("here.example", "here.example", "PUT", "/t", &body))), 401);
}

TEST_F(RequestAuthTest, AcceptsAHeaderWithoutDestination) {
  const json::value body = json::object{};
  // Older servers leave destination out of the header but sign it in the JSON.
  std::string header = sign("there.example", "here.example", "GET", "/t", nullptr);
  header.erase(header.find(",destination=\"here.example\""), std::string(",destination=\"here.example\"").size());
  EXPECT_TRUE(check("GET", "/t", "", header));
}

}  // namespace
}  // namespace myelin::homeserver
