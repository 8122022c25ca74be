// A token bucket per principal: `rate_per_second` refill, `burst` capacity. Answers
// whether a request may pass now and, if not, how long until it could.
// Thread-safety: any thread.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "base/time.hpp"

namespace stockd {

struct RateDecision {
  bool allowed = true;
  int64_t limit = 0;                // burst capacity
  int64_t remaining = 0;            // whole tokens left after this request
  int64_t reset_seconds = 0;        // until the bucket is full again
  int64_t retry_after_seconds = 0;  // when refused
};

class RateLimiter {
 public:
  RateLimiter(const Clock& clock, double rate_per_second, double burst);
  RateDecision take(const std::string& principal);
  bool enabled() const { return rate_per_second_ > 0; }

 private:
  struct Bucket {
    double tokens;
    Timestamp refilled_at;
  };
  static constexpr size_t kBucketsMax = 100'000;  // principals are tokens: few
  const Clock& clock_;
  const double rate_per_second_;
  const double burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace stockd
