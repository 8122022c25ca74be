#include "api/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace stockd {

RateLimiter::RateLimiter(const Clock& clock, double rate_per_second, double burst)
    : clock_(clock), rate_per_second_(rate_per_second), burst_(std::max(1.0, burst)) {}

RateDecision RateLimiter::take(const std::string& principal) {
  RateDecision decision;
  decision.limit = static_cast<int64_t>(burst_);
  if (!enabled()) {
    decision.remaining = decision.limit;
    return decision;
  }
  const Timestamp now = clock_.now();
  std::lock_guard lock(mutex_);
  if (buckets_.size() >= kBucketsMax && !buckets_.contains(principal)) buckets_.clear();
  auto [it, inserted] = buckets_.try_emplace(principal, Bucket{burst_, now});
  Bucket& bucket = it->second;
  const double elapsed_seconds = std::chrono::duration<double>(now - bucket.refilled_at).count();
  bucket.tokens =
      std::min(burst_, bucket.tokens + std::max(0.0, elapsed_seconds) * rate_per_second_);
  bucket.refilled_at = now;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
  } else {
    decision.allowed = false;
    decision.retry_after_seconds = std::max<int64_t>(
        1, static_cast<int64_t>(std::ceil((1.0 - bucket.tokens) / rate_per_second_)));
  }
  decision.remaining = static_cast<int64_t>(std::floor(bucket.tokens));
  decision.reset_seconds =
      static_cast<int64_t>(std::ceil((burst_ - bucket.tokens) / rate_per_second_));
  return decision;
}

}  // namespace stockd
