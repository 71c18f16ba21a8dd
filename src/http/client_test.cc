#include "http/client.h"

#include <gtest/gtest.h>

namespace myelin::http {
namespace {

TEST(ClientTest, OnlyPublicAddressesArePublic) {
  for (const char* ip : {"93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:93.184.216.34"})
    EXPECT_TRUE(is_public_address(ip)) << ip;
  for (const char* ip : {"127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                         "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1",
                         "::", "fe80::1", "fd00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "not an ip"})
    EXPECT_FALSE(is_public_address(ip)) << ip;
}

TEST(ClientTest, RangesMatchByPrefix) {
  EXPECT_TRUE(address_in_range("127.0.0.1", "127.0.0.1/32"));
  EXPECT_TRUE(address_in_range("127.0.0.1", "127.0.0.1"));
  EXPECT_TRUE(address_in_range("10.1.2.200", "10.1.2.0/24"));
  EXPECT_FALSE(address_in_range("10.1.3.1", "10.1.2.0/24"));
  EXPECT_TRUE(address_in_range("fd00::5", "fd00::/8"));
  EXPECT_FALSE(address_in_range("10.0.0.1", "10.0.0.0/33"));
  EXPECT_FALSE(address_in_range("10.0.0.1", "garbage/8"));
}

TEST(ClientTest, BadUrlsAreRefusedBeforeAnyConnection) {
  FetchOptions options;
  options.may_connect = [](const std::string&) { return true; };
  for (const char* url : {"file:///etc/passwd", "gopher://example.org/", "http://user:pw@example.org/", "not a url"}) {
    FetchError error{FetchError::kUnreachable, ""};
    EXPECT_FALSE(fetch(url, options, error)) << url;
    EXPECT_EQ(error.kind, FetchError::kBadUrl) << url;
  }
}

}  // namespace
}  // namespace myelin::http
