#include <gtest/gtest.h>

#include "http/http.h"

namespace myelin::http {
namespace {

TEST(RateLimiterTest, BurstThenRefusalThenRefill) {
  RateLimiter limiter(2.0, 3.0);
  auto now = std::chrono::steady_clock::now();
  EXPECT_EQ(limiter.allow("u", now), 0);
  EXPECT_EQ(limiter.allow("u", now), 0);
  EXPECT_EQ(limiter.allow("u", now), 0);
  std::int64_t wait = limiter.allow("u", now);
  EXPECT_GT(wait, 0);
  EXPECT_LE(wait, 500);
  EXPECT_EQ(limiter.allow("other", now), 0);  // buckets are per key
  EXPECT_EQ(limiter.allow("u", now + std::chrono::milliseconds(wait)), 0);
}

}  // namespace
}  // namespace myelin::http
