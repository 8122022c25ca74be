#include "api/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace stockd {
namespace {

TEST(RateLimiter, AllowsTheBurstThenRefusesUntilRefilled) {
  ManualClock clock(timestamp_from_micros(1'000'000));
  RateLimiter limiter(clock, /*rate_per_second=*/2, /*burst=*/3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.take("t").allowed) << i;
  const RateDecision refused = limiter.take("t");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.retry_after_seconds, 1);
  EXPECT_EQ(refused.limit, 3);
  clock.advance(std::chrono::milliseconds{500});  // one token back at 2/s
  EXPECT_TRUE(limiter.take("t").allowed);
  EXPECT_FALSE(limiter.take("t").allowed);
}

TEST(RateLimiter, BucketsArePerPrincipal) {
  ManualClock clock(timestamp_from_micros(1'000'000));
  RateLimiter limiter(clock, 1, 1);
  EXPECT_TRUE(limiter.take("a").allowed);
  EXPECT_FALSE(limiter.take("a").allowed);
  EXPECT_TRUE(limiter.take("b").allowed);
}

TEST(RateLimiter, ZeroRateMeansUnlimited) {
  ManualClock clock(timestamp_from_micros(1'000'000));
  RateLimiter limiter(clock, 0, 1);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.take("t").allowed);
}

}  // namespace
}  // namespace stockd
