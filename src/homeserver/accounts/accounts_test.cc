#include "homeserver/accounts/accounts.h"

#include <gtest/gtest.h>

namespace myelin::homeserver {
namespace {

TEST(TruncateIpTest, KeepsOnlyTheNetwork) {
  EXPECT_EQ(truncate_ip("192.0.2.77"), "192.0.2.0");
  EXPECT_EQ(truncate_ip("::ffff:198.51.100.9"), "198.51.100.0");
  EXPECT_EQ(truncate_ip("2001:db8:1:2:3:4:5:6"), "2001:db8:1::");
  EXPECT_EQ(truncate_ip("not an ip"), "");
}

}  // namespace
}  // namespace myelin::homeserver
