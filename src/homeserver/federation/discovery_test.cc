#include "homeserver/federation/discovery.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace myelin::homeserver {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// A network of canned answers: /.well-known answers by "host:port/target", SRV records by
// name; it counts what was asked and answers at once.
class FakeNetwork {
 public:
  std::map<std::string, http::HttpsResponse> pages;
  std::map<std::string, SrvRecord> srv;
  std::vector<std::string> fetched, looked_up;
  std::vector<http::HttpsRequest> requests;
  std::chrono::steady_clock::time_point now{};

  DiscoveryNetwork network() {
    DiscoveryNetwork network;
    network.fetch = [this](http::HttpsRequest request, std::function<void(http::HttpsResponse)> done) {
      const std::string key = request.host + ":" + std::to_string(request.port) + request.target;
      fetched.push_back(key);
      requests.push_back(request);
      auto page = pages.find(key);
      done(page == pages.end() ? http::HttpsResponse{0, {}, "unreachable", {}} : page->second);
    };
    network.srv = [this](const std::string& name, std::function<void(std::optional<SrvRecord>)> done) {
      looked_up.push_back(name);
      auto record = srv.find(name);
      done(record == srv.end() ? std::nullopt : std::optional(record->second));
    };
    network.now = [this] { return now; };
    return network;
  }
};

http::HttpsResponse json_page(std::string body, std::string cache_control = {}) {
  http::HttpsResponse response{200, std::move(body), {}, {}};
  if (!cache_control.empty()) response.headers.emplace_back("Cache-Control", std::move(cache_control));
  return response;
}

http::HttpsResponse redirect(std::string location) {
  return http::HttpsResponse{302, {}, {}, {{"Location", location}}};
}

class DiscoveryTest : public ::testing::Test {
 protected:
  ServerAddress resolve(const std::string& name) {
    std::optional<std::expected<ServerAddress, std::string>> result;
    discovery_.resolve(name, [&result](std::expected<ServerAddress, std::string> r) { result = std::move(r); });
    EXPECT_TRUE(result.has_value()) << name;
    EXPECT_TRUE(result && result->has_value()) << name << ": " << (result ? result->error() : "");
    return result && *result ? **result : ServerAddress{};
  }

  FederationOptions options_;
  FakeNetwork net_;
  Discovery discovery_{options_, net_.network(), 3};
};

TEST_F(DiscoveryTest, AnIpLiteralIsUsedAsItIsWithItsPortOr8448) {
  EXPECT_EQ(resolve("1.2.3.4"), (ServerAddress{"1.2.3.4", 8448, "1.2.3.4", "1.2.3.4", false}));
  EXPECT_EQ(resolve("1.2.3.4:1234"), (ServerAddress{"1.2.3.4", 1234, "1.2.3.4", "1.2.3.4:1234", false}));
  EXPECT_EQ(resolve("[2001:db8::1]"), (ServerAddress{"2001:db8::1", 8448, "2001:db8::1", "[2001:db8::1]", false}));
  EXPECT_EQ(resolve("[2001:db8::1]:99"), (ServerAddress{"2001:db8::1", 99, "2001:db8::1", "[2001:db8::1]:99", false}));
  EXPECT_TRUE(net_.fetched.empty());
  EXPECT_TRUE(net_.looked_up.empty());
}

TEST_F(DiscoveryTest, AnExplicitPortSkipsWellKnownAndSrv) {
  EXPECT_EQ(resolve("example.org:8000"),
            (ServerAddress{"example.org", 8000, "example.org", "example.org:8000", false}));
  EXPECT_TRUE(net_.fetched.empty());
  EXPECT_TRUE(net_.looked_up.empty());
}

TEST_F(DiscoveryTest, WellKnownIsFetchedFromTheHostnameOverHttps) {
  resolve("example.org");
  ASSERT_EQ(net_.requests.size(), 1u);
  const auto& request = net_.requests.front();
  EXPECT_EQ(request.host, "example.org");
  EXPECT_EQ(request.port, 443);
  EXPECT_EQ(request.tls_name, "example.org");
  EXPECT_EQ(request.host_header, "example.org");
  EXPECT_EQ(request.target, "/.well-known/matrix/server");
  EXPECT_TRUE(request.may_connect);
  EXPECT_FALSE(request.may_connect("127.0.0.1"));  // a private address needs federation.ip_allowlist
  EXPECT_LE(request.max_response_bytes, 1u << 20);
}

TEST_F(DiscoveryTest, DelegationToANameWithAPort) {
  net_.pages["example.org:443/.well-known/matrix/server"] = json_page(R"({"m.server":"matrix.example.net:1234"})");
  EXPECT_EQ(resolve("example.org"),
            (ServerAddress{"matrix.example.net", 1234, "matrix.example.net", "matrix.example.net:1234", false}));
  EXPECT_TRUE(net_.looked_up.empty());
}

TEST_F(DiscoveryTest, DelegationToAnIpLiteral) {
  net_.pages["example.org:443/.well-known/matrix/server"] = json_page(R"({"m.server":"5.6.7.8"})");
  EXPECT_EQ(resolve("example.org"), (ServerAddress{"5.6.7.8", 8448, "5.6.7.8", "5.6.7.8", false}));
  net_.pages["other.org:443/.well-known/matrix/server"] = json_page(R"({"m.server":"[2001:db8::2]:9000"})");
  EXPECT_EQ(resolve("other.org"), (ServerAddress{"2001:db8::2", 9000, "2001:db8::2", "[2001:db8::2]:9000", false}));
}

TEST_F(DiscoveryTest, DelegationToANameWithoutAPortLooksUpItsSrvRecords) {
  net_.pages["example.org:443/.well-known/matrix/server"] = json_page(R"({"m.server":"matrix.example.net"})");
  net_.srv["_matrix-fed._tcp.matrix.example.net"] = SrvRecord{10, 5, 8500, "host1.example.net"};
  // The certificate and the Host header name the delegated host, not the SRV target.
  EXPECT_EQ(resolve("example.org"),
            (ServerAddress{"host1.example.net", 8500, "matrix.example.net", "matrix.example.net", false}));
  EXPECT_EQ(net_.looked_up, std::vector<std::string>{"_matrix-fed._tcp.matrix.example.net"});
}

TEST_F(DiscoveryTest, TheDeprecatedSrvServiceIsTriedSecondThenPort8448) {
  net_.pages["example.org:443/.well-known/matrix/server"] = json_page(R"({"m.server":"matrix.example.net"})");
  net_.srv["_matrix._tcp.matrix.example.net"] = SrvRecord{10, 5, 8600, "old.example.net"};
  EXPECT_EQ(resolve("example.org"),
            (ServerAddress{"old.example.net", 8600, "matrix.example.net", "matrix.example.net", false}));
  EXPECT_EQ(net_.looked_up,
            (std::vector<std::string>{"_matrix-fed._tcp.matrix.example.net", "_matrix._tcp.matrix.example.net"}));
  net_.pages["plain.org:443/.well-known/matrix/server"] = json_page(R"({"m.server":"matrix.plain.org"})");
  EXPECT_EQ(resolve("plain.org"),
            (ServerAddress{"matrix.plain.org", 8448, "matrix.plain.org", "matrix.plain.org", false}));
}

TEST_F(DiscoveryTest, WithoutWellKnownTheServerNamesSrvRecordsThenPort8448) {
  net_.srv["_matrix-fed._tcp.example.org"] = SrvRecord{0, 0, 8443, "fed.example.org"};
  EXPECT_EQ(resolve("example.org"), (ServerAddress{"fed.example.org", 8443, "example.org", "example.org", false}));
  net_.srv["_matrix._tcp.legacy.org"] = SrvRecord{0, 0, 8449, "fed.legacy.org"};
  EXPECT_EQ(resolve("legacy.org"), (ServerAddress{"fed.legacy.org", 8449, "legacy.org", "legacy.org", false}));
  EXPECT_EQ(resolve("bare.org"), (ServerAddress{"bare.org", 8448, "bare.org", "bare.org", false}));
}

TEST_F(DiscoveryTest, AnInvalidWellKnownCountsAsNone) {
  for (const char* body :
       {"not json", "[]", R"({"m.server":5})", R"({"m.server":"bad name!"})", R"({})", R"({"m.server":""})"}) {
    const std::string host = "h" + std::to_string(net_.fetched.size()) + ".org";
    net_.pages[host + ":443/.well-known/matrix/server"] = json_page(body);
    EXPECT_EQ(resolve(host), (ServerAddress{host, 8448, host, host, false})) << body;
  }
  net_.pages["err.org:443/.well-known/matrix/server"] = http::HttpsResponse{404, R"({"m.server":"x.org:1"})", {}, {}};
  EXPECT_EQ(resolve("err.org"), (ServerAddress{"err.org", 8448, "err.org", "err.org", false}));
}

TEST_F(DiscoveryTest, RedirectsAreFollowedWithinABound) {
  net_.pages["example.org:443/.well-known/matrix/server"] =
      redirect("https://www.example.org/.well-known/matrix/server");
  net_.pages["www.example.org:443/.well-known/matrix/server"] = redirect("/elsewhere");
  net_.pages["www.example.org:443/elsewhere"] = json_page(R"({"m.server":"m.example.org:443"})");
  EXPECT_EQ(resolve("example.org"), (ServerAddress{"m.example.org", 443, "m.example.org", "m.example.org:443", false}));
  // A loop ends after a few hops, as a failure.
  net_.pages["loop.org:443/.well-known/matrix/server"] = redirect("/.well-known/matrix/server");
  EXPECT_EQ(resolve("loop.org"), (ServerAddress{"loop.org", 8448, "loop.org", "loop.org", false}));
  EXPECT_LE(std::ranges::count(net_.fetched, std::string("loop.org:443/.well-known/matrix/server")), 6);
  // Plain http is not followed.
  net_.pages["http.org:443/.well-known/matrix/server"] = redirect("http://http.org/.well-known/matrix/server");
  EXPECT_EQ(resolve("http.org"), (ServerAddress{"http.org", 8448, "http.org", "http.org", false}));
}

TEST_F(DiscoveryTest, AnswersAreCachedForTheirLifetime) {
  net_.pages["example.org:443/.well-known/matrix/server"] =
      json_page(R"({"m.server":"m.example.org:1"})", "public, max-age=3600");
  resolve("example.org");
  net_.now += minutes(59);
  resolve("example.org");
  EXPECT_EQ(net_.fetched.size(), 1u);
  net_.now += minutes(2);
  resolve("example.org");
  EXPECT_EQ(net_.fetched.size(), 2u);
}

TEST_F(DiscoveryTest, FailuresAreCachedWithBackoff) {
  resolve("down.org");
  net_.now += minutes(4);
  resolve("down.org");
  EXPECT_EQ(net_.fetched.size(), 1u);
  net_.now += minutes(2);
  resolve("down.org");  // second failure: ten minutes
  EXPECT_EQ(net_.fetched.size(), 2u);
  net_.now += minutes(9);
  resolve("down.org");
  EXPECT_EQ(net_.fetched.size(), 2u);
  net_.now += minutes(2);
  resolve("down.org");
  EXPECT_EQ(net_.fetched.size(), 3u);
}

TEST_F(DiscoveryTest, TheCacheIsBounded) {
  for (const char* name : {"a.org", "b.org", "c.org", "d.org"}) resolve(name);
  EXPECT_EQ(net_.fetched.size(), 4u);
  resolve("d.org");
  EXPECT_EQ(net_.fetched.size(), 4u);
  resolve("a.org");  // the oldest went when d.org came (at most 3 kept)
  EXPECT_EQ(net_.fetched.size(), 5u);
}

TEST_F(DiscoveryTest, ConfiguredAddressesReplaceDiscovery) {
  options_.resolve["hs1.test"] = "127.0.0.1:8449";
  options_.resolve["hs2.test:99"] = "[::1]:8450";
  EXPECT_EQ(resolve("hs1.test"), (ServerAddress{"127.0.0.1", 8449, "hs1.test", "hs1.test", true}));
  EXPECT_EQ(resolve("hs2.test:99"), (ServerAddress{"::1", 8450, "hs2.test", "hs2.test:99", true}));
  EXPECT_TRUE(net_.fetched.empty());
  EXPECT_TRUE(net_.looked_up.empty());
}

TEST_F(DiscoveryTest, NotAServerNameIsAnError) {
  bool failed = false;
  discovery_.resolve("bad name", [&](std::expected<ServerAddress, std::string> r) { failed = !r; });
  EXPECT_TRUE(failed);
}

TEST(WellKnownLifetimeTest, FollowsCacheControlWithinBounds) {
  auto page = [](std::string cache_control) { return json_page("{}", std::move(cache_control)); };
  auto p = page("");
  EXPECT_EQ(Discovery::well_known_lifetime(&p, 0), hours(24));
  p = page("max-age=7200");
  EXPECT_EQ(Discovery::well_known_lifetime(&p, 0), hours(2));
  p = page("max-age=999999999");
  EXPECT_EQ(Discovery::well_known_lifetime(&p, 0), hours(48));
  p = page("no-store");
  EXPECT_EQ(Discovery::well_known_lifetime(&p, 0), minutes(5));
  EXPECT_EQ(Discovery::well_known_lifetime(nullptr, 1), minutes(5));
  EXPECT_EQ(Discovery::well_known_lifetime(nullptr, 3), minutes(20));
  EXPECT_EQ(Discovery::well_known_lifetime(nullptr, 30), hours(1));
}

TEST(ChooseSrvTest, LowestPriorityThenHighestWeight) {
  EXPECT_FALSE(choose_srv({}));
  EXPECT_FALSE(choose_srv({SrvRecord{0, 0, 0, "."}}));
  auto chosen = choose_srv({{20, 0, 1, "c"}, {10, 1, 2, "b"}, {10, 5, 3, "a"}});
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->target, "a");
}

TEST(MayTalkToTest, AllowedAndDeniedServers) {
  FederationOptions options;
  EXPECT_TRUE(options.may_talk_to("example.org"));
  options.denied_servers = {"evil.org", "*.bad.net"};
  EXPECT_FALSE(options.may_talk_to("evil.org"));
  EXPECT_FALSE(options.may_talk_to("EVIL.org:8448"));
  EXPECT_FALSE(options.may_talk_to("x.bad.net"));
  EXPECT_TRUE(options.may_talk_to("bad.net"));
  EXPECT_TRUE(options.may_talk_to("example.org"));
  options.allowed_servers = {"example.org", "*.friends.org"};
  EXPECT_TRUE(options.may_talk_to("example.org:1234"));
  EXPECT_TRUE(options.may_talk_to("a.friends.org"));
  EXPECT_FALSE(options.may_talk_to("other.org"));
  options.denied_servers = {"a.friends.org"};
  EXPECT_FALSE(options.may_talk_to("a.friends.org"));
  EXPECT_FALSE(options.may_talk_to(""));
}

}  // namespace
}  // namespace myelin::homeserver
