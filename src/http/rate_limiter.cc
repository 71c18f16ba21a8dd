#include <algorithm>
#include <cmath>

#include "http/http.h"

namespace myelin::http {

RateLimiter::RateLimiter(double per_second, double burst) : per_second_(per_second), burst_(burst) {}

std::int64_t RateLimiter::allow(std::string_view key, std::chrono::steady_clock::time_point now) {
  using seconds = std::chrono::duration<double>;
  if (now - last_sweep_ > std::chrono::minutes(1)) {
    // A bucket that has refilled completely carries no information: drop it.
    std::erase_if(buckets_, [&](const auto& entry) {
      return entry.second.tokens + seconds(now - entry.second.last).count() * per_second_ >= burst_;
    });
    last_sweep_ = now;
  }
  auto it = buckets_.find(key);
  if (it == buckets_.end()) it = buckets_.emplace(std::string(key), Bucket{burst_, now}).first;
  Bucket& bucket = it->second;
  bucket.tokens = std::min(burst_, bucket.tokens + seconds(now - bucket.last).count() * per_second_);
  bucket.last = now;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return 0;
  }
  const double wait_seconds = (1.0 - bucket.tokens) / per_second_;
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait_seconds * 1000)));
}

}  // namespace myelin::http
