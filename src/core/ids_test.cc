#include "core/ids.h"

#include <gtest/gtest.h>

namespace myelin::core {
namespace {

// appendices.md, "Server Name": the spec's examples of valid names, plus a few more.
TEST(ServerName, SpecValidExamples) {
  for (std::string_view name :
       {"matrix.org", "matrix.org:8888", "1.2.3.4", "1.2.3.4:1234", "[1234:5678::abcd]", "[1234:5678::abcd]:5678"}) {
    EXPECT_TRUE(is_valid_server_name(name)) << name;
  }
  for (std::string_view name : {"localhost", "localhost:8448", "[::1]", "[::ffff:1.2.3.4]:80", "a-b.example",
                                "MATRIX.ORG", "x:65535", "x:1", "0.0.0.0", "255.255.255.255"}) {
    EXPECT_TRUE(is_valid_server_name(name)) << name;
  }
}

TEST(ServerName, InvalidExamples) {
  for (std::string_view name : {"",
                                ":1234",
                                "matrix.org:",
                                "matrix.org:0",
                                "matrix.org:65536",
                                "matrix.org:123456",
                                "matrix.org:8a",
                                "matrix.org:-1",
                                "matrix.org:80:80",
                                "1234:5678::abcd",
                                "[1234:5678::abcd",
                                "[::1]x",
                                "[::1]:",
                                "[gggg::1]",
                                "[1:2:3]",
                                "[]",
                                "[::1]]",
                                "matrix org",
                                "matrix_org",
                                "matrix..org",
                                ".matrix.org",
                                "matrix.org.",
                                "1.2.3.256",
                                "256.1.1.1",
                                "ex@mple.com",
                                "exämple.com"}) {
    EXPECT_FALSE(is_valid_server_name(name)) << name;
  }
  EXPECT_FALSE(is_valid_server_name(std::string(256, 'a')));
  EXPECT_TRUE(is_valid_server_name(std::string(255, 'a')));
}

TEST(ServerName, ParsesHostAndPort) {
  auto plain = ServerName::parse("matrix.org");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->host(), "matrix.org");
  EXPECT_FALSE(plain->port());
  EXPECT_EQ(plain->str(), "matrix.org");

  auto v6 = ServerName::parse("[1234:5678::abcd]:5678");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host(), "[1234:5678::abcd]");
  EXPECT_EQ(v6->port(), 5678);
  EXPECT_EQ(v6->str(), "[1234:5678::abcd]:5678");

  auto v4 = ServerName::parse("1.2.3.4:1234");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host(), "1.2.3.4");
  EXPECT_EQ(v4->port(), 1234);
}

TEST(UserId, ParsesValidIds) {
  auto id = UserId::parse("@alice:example.com");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->localpart(), "alice");
  EXPECT_EQ(id->server(), "example.com");
  EXPECT_EQ(id->str(), "@alice:example.com");

  auto with_port = UserId::parse("@a:1.2.3.4:8448");
  ASSERT_TRUE(with_port);
  EXPECT_EQ(with_port->localpart(), "a");
  EXPECT_EQ(with_port->server(), "1.2.3.4:8448");
  EXPECT_TRUE(UserId::parse("@a:[::1]:80"));
}

TEST(UserId, AcceptsHistoricalLocalparts) {
  EXPECT_TRUE(UserId::parse("@Alice:example.com"));
  EXPECT_TRUE(UserId::parse("@a!b#c~[]:example.com"));
}

TEST(UserId, RejectsMalformedIds) {
  for (std::string_view bad :
       {"", "@", "alice:example.com", "@alice", "@:example.com", "@al ice:example.com",
        "@alice:", "@alice:exa mple.com", "@alic\xc3\xa9:example.com", "#alice:example.com", "@alice:example.com:0"}) {
    EXPECT_FALSE(UserId::parse(bad)) << bad;
  }
}

TEST(UserId, LengthLimitIs255Bytes) {
  const std::string server = ":example.com";
  const std::string ok = "@" + std::string(255 - 1 - server.size(), 'a') + server;
  ASSERT_EQ(ok.size(), 255u);
  EXPECT_TRUE(UserId::parse(ok));
  EXPECT_FALSE(UserId::parse("@a" + ok.substr(1)));
}

TEST(UserId, StrictLocalpart) {
  for (std::string_view good : {"alice", "a.b_c=d-e/f+g", "123", "_"}) {
    EXPECT_TRUE(is_valid_localpart_strict(good)) << good;
  }
  for (std::string_view bad : {"", "Alice", "al ice", "a:b", "alic\xc3\xa9", "a*b", "a@b"}) {
    EXPECT_FALSE(is_valid_localpart_strict(bad)) << bad;
  }
}

TEST(RoomId, BothForms) {
  auto classic = RoomId::parse("!opaque:example.org");
  ASSERT_TRUE(classic);
  EXPECT_EQ(classic->opaque(), "opaque");
  EXPECT_EQ(classic->server(), "example.org");

  // Room version 12: the create event's ID with '!' as the sigil, no server.
  auto hashed = RoomId::parse("!Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg");
  ASSERT_TRUE(hashed);
  EXPECT_EQ(hashed->opaque(), "Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg");
  EXPECT_EQ(hashed->server(), "");

  EXPECT_TRUE(is_valid_room_id("!x:domain"));
  EXPECT_TRUE(is_valid_room_id("!abc:[::1]:8448"));
}

TEST(RoomId, RejectsMalformed) {
  for (std::string_view bad :
       {"", "!", "!:example.org", "opaque:example.org", "$a:example.org", "!abc:", "!abc:bad server"}) {
    EXPECT_FALSE(is_valid_room_id(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_room_id(std::string_view("!a\0b:ex.org", 11)));
  EXPECT_FALSE(is_valid_room_id("!" + std::string(255, 'a')));
}

TEST(EventId, Forms) {
  EXPECT_TRUE(is_valid_event_id("$acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7XcJk"));  // v3
  EXPECT_TRUE(is_valid_event_id("$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg"));  // v4+
  EXPECT_TRUE(is_valid_event_id("$0:domain"));                                     // v1, v2
  for (std::string_view bad : {"", "$", "acR1", "!acR1", "$abc:", "$abc:bad host"}) {
    EXPECT_FALSE(is_valid_event_id(bad)) << bad;
  }
  EXPECT_TRUE(is_valid_event_id("$" + std::string(254, 'a')));
  EXPECT_FALSE(is_valid_event_id("$" + std::string(255, 'a')));
}

TEST(Identifier, KeepsTheTextAndComparesByIt) {
  auto a = UserId::parse("@alice:example.com");
  auto b = UserId::parse("@bob:example.com");
  ASSERT_TRUE(a && b);
  const std::string& text = *a;  // no copy: the store and JSON take the text
  EXPECT_EQ(&text, &a->str());
  EXPECT_TRUE(*a == "@alice:example.com");
  EXPECT_TRUE(*a < *b);
  EXPECT_FALSE(*a == *b);
  auto event = EventId::parse("$abc");
  ASSERT_TRUE(event);
  EXPECT_EQ(event->str(), "$abc");
  EXPECT_FALSE(EventId::parse("abc"));
}

TEST(RoomAlias, ParsesAndFormats) {
  auto alias = RoomAlias::parse("#room:example.org");
  ASSERT_TRUE(alias);
  EXPECT_EQ(alias->localpart(), "room");
  EXPECT_EQ(alias->server(), "example.org");
  EXPECT_EQ(alias->str(), "#room:example.org");
  EXPECT_TRUE(RoomAlias::parse("#Caf\xc3\xa9 talk:example.org:8448"));
  for (std::string_view bad : {"", "#", "#:example.org", "#room", "room:example.org", "#room:", "@room:example.org"}) {
    EXPECT_FALSE(RoomAlias::parse(bad)) << bad;
  }
}

TEST(OpaqueId, PrintableAsciiUpTo255) {
  EXPECT_TRUE(is_valid_opaque_id("ABCDEFGHIJ"));
  EXPECT_TRUE(is_valid_opaque_id("m1234.5_-~"));
  EXPECT_TRUE(is_valid_opaque_id(std::string(255, 'x')));
  for (std::string_view bad : {"", "a b", "\x7f", "caf\xc3\xa9", "tab\t"}) {
    EXPECT_FALSE(is_valid_opaque_id(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_opaque_id(std::string(256, 'x')));
}

TEST(RandomString, LengthAndAlphabet) {
  const std::string a = random_string(64);
  const std::string b = random_string(64);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
  for (char c : a + b) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << c;
  }
  EXPECT_EQ(random_string(0), "");
}

}  // namespace
}  // namespace myelin::core
