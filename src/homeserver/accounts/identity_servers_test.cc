#include "homeserver/accounts/identity_servers.h"

#include <gtest/gtest.h>

#include <map>

#include "core/base64.h"
#include "core/crypto.h"
#include "storage/store.h"

namespace myelin::homeserver {
namespace {

// An identity server in the test: answers from `answers` by target, records every request.
struct FakeIdentityServer {
  std::map<std::string, IdentityServers::Answer> answers;
  std::vector<IdentityServers::Request> requests;

  IdentityServers::Transport transport() {
    return [this](IdentityServers::Request request, std::function<void(IdentityServers::Answer)> done) {
      requests.push_back(request);
      auto it = answers.find(request.target);
      done(it == answers.end() ? IdentityServers::Answer{404, R"({"errcode":"M_UNRECOGNIZED","error":"no"})"}
                               : it->second);
    };
  }
};

struct IdentityServersTest : ::testing::Test {
  IdentityServersTest() { config.identity_servers = true; }

  IdentityServers make() {
    return IdentityServers(config, *store, fake.transport(),
                           [](const std::string& method, const std::string& target, const std::string& destination,
                              const json::object&) { return "X-Matrix " + method + " " + target + " " + destination; });
  }
  core::Status bind(IdentityServers& servers, const std::string& id_server) {
    core::Status out = core::fail(core::Errc::kInternal, "not answered");
    servers.bind(
        alice,
        json::object{{"id_server", id_server}, {"id_access_token", "tok"}, {"sid", "s1"}, {"client_secret", "c"}},
        [&](core::Status ok) { out = ok; });
    return out;
  }
  core::Result<std::string> unbind(IdentityServers& servers, std::optional<std::string> id_server) {
    core::Result<std::string> out = core::fail(core::Errc::kInternal, "not answered");
    servers.unbind(alice, "email", "a@example.org", id_server, [&](core::Result<std::string> result) { out = result; });
    return out;
  }

  AccountsOptions config;
  std::unique_ptr<storage::Store> store = storage::open_sqlite_store({":memory:", false});
  FakeIdentityServer fake;
  core::UserId alice = *core::UserId::parse("@alice:hs.example");
};

TEST_F(IdentityServersTest, ABindIsKeptAndUnboundWhereItWasMadeWithThisServersSignature) {
  fake.answers["/_matrix/identity/v2/3pid/bind"] = {200, R"({"medium":"email","address":"a@example.org"})"};
  fake.answers["/_matrix/identity/v2/3pid/unbind"] = {200, "{}"};
  IdentityServers servers = make();
  ASSERT_TRUE(bind(servers, "is.example"));
  ASSERT_EQ(fake.requests.size(), 1u);
  EXPECT_EQ(fake.requests[0].authorization, "Bearer tok");
  EXPECT_EQ(fake.requests[0].body.at("mxid").as_string(), "@alice:hs.example");
  ASSERT_EQ(store->threepid_binds("@alice:hs.example").size(), 1u);

  EXPECT_EQ(unbind(servers, std::nullopt), "success");
  ASSERT_EQ(fake.requests.size(), 2u);
  EXPECT_EQ(fake.requests[1].id_server, "is.example");
  EXPECT_EQ(fake.requests[1].authorization, "X-Matrix POST /_matrix/identity/v2/3pid/unbind is.example");
  EXPECT_EQ(fake.requests[1].body.at("threepid").at("address").as_string(), "a@example.org");
  EXPECT_TRUE(store->threepid_binds("@alice:hs.example").empty());
  // Nothing known to unbind from: no identity server is asked.
  EXPECT_EQ(unbind(servers, std::nullopt), "no-support");
  EXPECT_EQ(fake.requests.size(), 2u);
}

TEST_F(IdentityServersTest, TheIdentityServersErrorsArePassedOn) {
  fake.answers["/_matrix/identity/v2/3pid/bind"] = {400, R"({"errcode":"M_SESSION_NOT_VALIDATED","error":"later"})"};
  IdentityServers servers = make();
  auto refused = bind(servers, "is.example");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errcode, "M_SESSION_NOT_VALIDATED");
  EXPECT_EQ(refused.error().http_status, 400);
  EXPECT_TRUE(store->threepid_binds("@alice:hs.example").empty());
  // Not a Matrix error, or unreachable: 502.
  fake.answers["/_matrix/identity/v2/3pid/bind"] = {500, "<html>"};
  EXPECT_EQ(bind(servers, "is.example").error().http_status, 502);
  fake.answers["/_matrix/identity/v2/3pid/bind"] = {0, ""};
  EXPECT_EQ(bind(servers, "is.example").error().http_status, 502);
}

TEST_F(IdentityServersTest, OffByDefaultAndOnlyServerNames) {
  IdentityServers servers = make();
  EXPECT_EQ(bind(servers, "not a server/").error().errcode, "M_INVALID_PARAM");
  config.identity_servers = false;
  EXPECT_EQ(bind(servers, "is.example").error().errcode, "M_FORBIDDEN");
  EXPECT_EQ(unbind(servers, "is.example").error().errcode, "M_FORBIDDEN");
  EXPECT_TRUE(fake.requests.empty());
}

TEST_F(IdentityServersTest, DeactivationUnbindsEveryBindAndForgetsThem) {
  fake.answers["/_matrix/identity/v2/3pid/bind"] = {200, R"({"medium":"email","address":"a@example.org"})"};
  fake.answers["/_matrix/identity/v2/3pid/unbind"] = {403, R"({"errcode":"M_FORBIDDEN","error":"no"})"};
  IdentityServers servers = make();
  ASSERT_TRUE(bind(servers, "is.example"));
  std::string result;
  servers.unbind_all(alice, std::nullopt, [&](std::string r) { result = std::move(r); });
  EXPECT_EQ(result, "no-support");  // the identity server refused
  EXPECT_TRUE(store->threepid_binds("@alice:hs.example").empty());
  servers.unbind_all(alice, std::nullopt, [&](std::string r) { result = std::move(r); });
  EXPECT_EQ(result, "success");  // none left
}

TEST_F(IdentityServersTest, LookupHashesTheAddressWithThePepper) {
  fake.answers["/_matrix/identity/v2/hash_details"] = {200, R"({"algorithms":["none","sha256"],"lookup_pepper":"p"})"};
  const std::string hash = core::base64url_encode(core::sha256("a@example.org email p"));
  fake.answers["/_matrix/identity/v2/lookup"] = {200, R"({"mappings":{")" + hash + R"(":"@bob:hs.example"}})"};
  IdentityServers servers = make();
  core::Result<std::optional<std::string>> found = std::nullopt;
  servers.lookup("is.example", "tok", "email", "a@example.org", [&](auto result) { found = result; });
  ASSERT_TRUE(found);
  EXPECT_EQ(**found, "@bob:hs.example");
  EXPECT_EQ(fake.requests[1].body.at("algorithm").as_string(), "sha256");
  EXPECT_EQ(fake.requests[1].body.at("addresses").as_array()[0].as_string(), hash);
  servers.lookup("is.example", "tok", "email", "b@example.org", [&](auto result) { found = result; });
  ASSERT_TRUE(found);
  EXPECT_FALSE(*found);  // bound to nobody
}

}  // namespace
}  // namespace myelin::homeserver
