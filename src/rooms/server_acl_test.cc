#include "rooms/server_acl.h"

#include <gtest/gtest.h>

#include "core/glob.h"

namespace myelin::rooms {
namespace {

json::object acl(std::string_view text) { return core::parse_json_object(text).value(); }

TEST(ServerAcl, NoAclAllowsEveryone) { EXPECT_TRUE(server_allowed_by_acl(nullptr, "evil.example")); }

TEST(ServerAcl, DenyWinsThenAllowElseDenied) {
  const auto content = acl(R"({"allow": ["*.example.org", "good.example"], "deny": ["bad.example.org"]})");
  EXPECT_TRUE(server_allowed_by_acl(&content, "good.example"));
  EXPECT_TRUE(server_allowed_by_acl(&content, "chat.example.org"));
  EXPECT_FALSE(server_allowed_by_acl(&content, "bad.example.org"));
  EXPECT_FALSE(server_allowed_by_acl(&content, "other.example"));
  EXPECT_FALSE(server_allowed_by_acl(&content, "example.org"));  // "*." needs a subdomain
}

TEST(ServerAcl, PortsAreIgnoredAndCaseToo) {
  const auto content = acl(R"({"allow": ["*"], "deny": ["evil.com"]})");
  for (const char* name : {"evil.com", "evil.com:8448", "evil.com:1234", "EVIL.com"})
    EXPECT_FALSE(server_allowed_by_acl(&content, name)) << name;
  EXPECT_TRUE(server_allowed_by_acl(&content, "good.com:8448"));
}

TEST(ServerAcl, IpLiteralsOnlyWhenAllowed) {
  const auto no_ips = acl(R"({"allow": ["*"], "allow_ip_literals": false})");
  EXPECT_FALSE(server_allowed_by_acl(&no_ips, "1.2.3.4"));
  EXPECT_FALSE(server_allowed_by_acl(&no_ips, "1.2.3.4:8448"));
  EXPECT_FALSE(server_allowed_by_acl(&no_ips, "[::1]:8448"));
  EXPECT_TRUE(server_allowed_by_acl(&no_ips, "1.2.3.example"));
  const auto ips = acl(R"({"allow": ["*"], "allow_ip_literals": "no"})");  // not a boolean: true
  EXPECT_TRUE(server_allowed_by_acl(&ips, "1.2.3.4"));
}

TEST(ServerAcl, MalformedListsAllowNobody) {
  const auto content = acl(R"({"allow": "*", "deny": [1, null]})");
  EXPECT_FALSE(server_allowed_by_acl(&content, "good.example"));
  const auto empty = acl("{}");
  EXPECT_FALSE(server_allowed_by_acl(&empty, "good.example"));
}

TEST(Glob, StarAndQuestionMarkCaseInsensitive) {
  EXPECT_TRUE(core::glob_match("*.ex?mple.org", "a.b.EXAMPLE.org"));
  EXPECT_TRUE(core::glob_match("**", ""));
  EXPECT_FALSE(core::glob_match("?", ""));
  EXPECT_FALSE(core::glob_match("a*b", "ac"));
  EXPECT_TRUE(core::glob_match("a*b*c", "aXbYbZc"));
}

}  // namespace
}  // namespace myelin::rooms
