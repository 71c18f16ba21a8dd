#include "homeserver/accounts.h"

#include <gtest/gtest.h>

#include "homeserver/sync.h"

namespace myelin::homeserver {
namespace {

TEST(TruncateIpTest, KeepsOnlyTheNetwork) {
  EXPECT_EQ(truncate_ip("192.0.2.77"), "192.0.2.0");
  EXPECT_EQ(truncate_ip("::ffff:198.51.100.9"), "198.51.100.0");
  EXPECT_EQ(truncate_ip("2001:db8:1:2:3:4:5:6"), "2001:db8:1::");
  EXPECT_EQ(truncate_ip("not an ip"), "");
}

TEST(StreamTokenTest, RoundTrip) {
  EXPECT_EQ(stream_token(42), "s42");
  EXPECT_EQ(parse_stream_token("s42"), 42);
  EXPECT_EQ(parse_stream_token("42"), 42);
  EXPECT_FALSE(parse_stream_token("s-1"));
  EXPECT_FALSE(parse_stream_token("sx"));
  EXPECT_FALSE(parse_stream_token(""));
}

}  // namespace
}  // namespace myelin::homeserver
