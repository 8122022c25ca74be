#include "sync/delivery_queue.hpp"

#include <gtest/gtest.h>

namespace stockd {
namespace {

const Timestamp kNow = timestamp_from_micros(1'800'000'000'000'000);

OutboxRow availability(uint32_t shard, uint64_t sequence, std::string sku, std::string channel,
                       int64_t available) {
  OutboxRow row;
  row.shard = shard;
  row.sequence = sequence;
  row.kind = OutboxKind::availability_changed;
  row.sku = std::move(sku);
  row.channel = std::move(channel);
  row.available = available;
  return row;
}

TEST(DeliveryQueue, ConflatesPerSkuAndChannelKeepingTheFirstPlaceInLine) {
  DeliveryQueue queue({0, 0});
  queue.offer(availability(0, 1, "A", "web", 10), true, kNow);
  queue.offer(availability(1, 1, "B", "web", 5), true, kNow);
  queue.offer(availability(0, 2, "A", "web", 9), true, kNow);
  queue.offer(availability(0, 3, "A", "market", 9), true, kNow);
  queue.offer(availability(0, 4, "A", "web", 8), true, kNow);
  ASSERT_EQ(queue.size(), 3u);
  EXPECT_EQ(queue.conflated_total(), 2u);
  const auto first = queue.claim(kNow);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->row.sku, "A");
  EXPECT_EQ(first->row.available, 8);  // the newest number, in the oldest place
  // Nothing delivered: the cursors stay before everything pending.
  EXPECT_EQ(queue.durable_cursor(0), 0u);
  EXPECT_EQ(queue.durable_cursor(1), 0u);
  queue.succeeded(*first, kNow);           // A/web (rows 1, 2, 4)
  EXPECT_EQ(queue.durable_cursor(0), 2u);  // row 3 (A/market) is still pending
  const auto second = queue.claim(kNow);
  EXPECT_EQ(second->row.sku, "B");
  const auto third = queue.claim(kNow);
  EXPECT_EQ(third->row.channel, "market");
  EXPECT_FALSE(queue.claim(kNow));  // everything is in flight
  EXPECT_EQ(queue.in_flight(), 2u);
  queue.succeeded(*second, kNow);
  EXPECT_EQ(queue.durable_cursor(1), 1u);
  queue.succeeded(*third, kNow);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.durable_cursor(0), 4u);
}

TEST(DeliveryQueue, AKeyIsNeverInFlightTwiceAndANewerRowWaitsForTheOneInFlight) {
  DeliveryQueue queue({0});
  queue.offer(availability(0, 1, "A", "web", 10), true, kNow);
  const auto sending = queue.claim(kNow);
  ASSERT_TRUE(sending);
  queue.offer(availability(0, 2, "A", "web", 7), true, kNow);  // arrives while in flight
  EXPECT_FALSE(queue.claim(kNow));
  queue.succeeded(*sending, kNow);
  EXPECT_EQ(queue.size(), 1u);  // the newer number still has to go
  EXPECT_EQ(queue.durable_cursor(0), 1u);
  const auto next = queue.claim(kNow);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->row.available, 7);
  queue.succeeded(*next, kNow);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.durable_cursor(0), 2u);
}

TEST(DeliveryQueue, UnwantedAndAlreadySeenRowsOnlyMoveTheReadPosition) {
  DeliveryQueue queue({5});
  queue.offer(availability(0, 3, "A", "web", 1), true, kNow);  // at or below the cursor
  EXPECT_TRUE(queue.empty());
  queue.offer(availability(0, 6, "A", "web", 1), false, kNow);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.read_position(0), 6u);
  EXPECT_EQ(queue.durable_cursor(0), 6u);
}

TEST(DeliveryQueue, AFailedEntryWaitsForItsRetryAndIsSentWithItsNewestNumber) {
  DeliveryQueue queue({0});
  queue.offer(availability(0, 1, "A", "web", 10), true, kNow);
  queue.offer(availability(0, 2, "B", "web", 3), true, kNow);
  const auto a = queue.claim(kNow);
  queue.failed(*a, kNow + std::chrono::seconds{1}, "HTTP 500");
  queue.offer(availability(0, 3, "A", "web", 7), true, kNow);
  const auto b = queue.claim(kNow);  // A is backing off: B goes
  EXPECT_EQ(b->row.sku, "B");
  EXPECT_FALSE(queue.claim(kNow));
  EXPECT_EQ(queue.next_due(), kNow + std::chrono::seconds{1});
  const auto retry = queue.claim(kNow + std::chrono::seconds{1});
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->row.available, 7);
  EXPECT_EQ(retry->attempts, 1u);
  queue.remove(*retry);                    // dead-lettered
  EXPECT_EQ(queue.durable_cursor(0), 1u);  // B (row 2) is in flight
  queue.succeeded(*b, kNow);
  EXPECT_EQ(queue.durable_cursor(0), 3u);
}

TEST(RetryDelay, DoublesWithJitterUpToTheCap) {
  const Duration base = std::chrono::milliseconds{100};
  const Duration cap = std::chrono::seconds{1};
  EXPECT_EQ(retry_delay(1, base, cap, 0.999999), Duration{99'999});
  EXPECT_EQ(retry_delay(1, base, cap, 0.0), std::chrono::milliseconds{50});
  EXPECT_EQ(retry_delay(3, base, cap, 0.0), std::chrono::milliseconds{200});
  EXPECT_EQ(retry_delay(30, base, cap, 0.0), std::chrono::milliseconds{500});
  EXPECT_LE(retry_delay(30, base, cap, 1.0), cap);
}

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresThenLetsOneTrialThrough) {
  CircuitBreaker breaker(3, std::chrono::seconds{10});
  Timestamp now = kNow;
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(breaker.allows(now));
    breaker.failure(now);
  }
  EXPECT_EQ(breaker.state(now), CircuitBreaker::State::closed);
  breaker.success();  // resets the count
  for (int i = 0; i < 3; ++i) breaker.failure(now);
  EXPECT_EQ(breaker.state(now), CircuitBreaker::State::open);
  EXPECT_FALSE(breaker.allows(now + std::chrono::seconds{9}));
  now += std::chrono::seconds{10};
  EXPECT_EQ(breaker.state(now), CircuitBreaker::State::half_open);
  EXPECT_TRUE(breaker.allows(now));   // the trial
  EXPECT_FALSE(breaker.allows(now));  // only one
  breaker.failure(now);
  EXPECT_EQ(breaker.state(now), CircuitBreaker::State::open);
  EXPECT_EQ(breaker.times_opened(), 2u);
  now += std::chrono::seconds{10};
  EXPECT_TRUE(breaker.allows(now));
  breaker.success();
  EXPECT_EQ(breaker.state(now), CircuitBreaker::State::closed);
  EXPECT_TRUE(breaker.allows(now));
}

}  // namespace
}  // namespace stockd
