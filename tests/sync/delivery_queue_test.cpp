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
  EXPECT_EQ(queue.head().row.sku, "A");
  EXPECT_EQ(queue.head().row.available, 8);  // the newest number, in the oldest place
  EXPECT_EQ(queue.head().conflated, 2u);
  EXPECT_EQ(queue.conflated_total(), 2u);
  // Nothing delivered: the cursors stay before everything pending.
  EXPECT_EQ(queue.durable_cursor(0), 0u);
  EXPECT_EQ(queue.durable_cursor(1), 0u);
  queue.delivered();                       // A/web (rows 1, 2, 4)
  EXPECT_EQ(queue.durable_cursor(0), 2u);  // row 3 (A/market) is still pending
  EXPECT_EQ(queue.head().row.sku, "B");
  queue.delivered();
  EXPECT_EQ(queue.durable_cursor(1), 1u);
  queue.delivered();
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.durable_cursor(0), 4u);
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

TEST(DeliveryQueue, AFailedHeadStaysFirstAndANewerNumberReplacesItsPayload) {
  DeliveryQueue queue({0});
  queue.offer(availability(0, 1, "A", "web", 10), true, kNow);
  queue.offer(availability(0, 2, "B", "web", 3), true, kNow);
  queue.failed(kNow + std::chrono::seconds{1}, "HTTP 500");
  EXPECT_EQ(queue.head().attempts, 1u);
  queue.offer(availability(0, 3, "A", "web", 7), true, kNow);
  EXPECT_EQ(queue.head().row.sku, "A");
  EXPECT_EQ(queue.head().row.available, 7);
  EXPECT_EQ(queue.head().attempts, 1u);
  const PendingDelivery dead = queue.take_head();
  EXPECT_EQ(dead.first_sequence, 1u);
  EXPECT_EQ(queue.durable_cursor(0), 1u);  // B (row 2) pending
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
