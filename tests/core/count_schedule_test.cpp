// The cycle-count schedule on hand-made positions: scores computed by hand.
#include "core/count_schedule.hpp"

#include <gtest/gtest.h>

#include "core/test_support.hpp"

namespace stockd {
namespace {

using testing::at;

CountCandidate candidate(const char* sku, int64_t on_hand, const char* last_count,
                         double sales_per_day = 0, int64_t cost = 0) {
  CountCandidate c;
  c.sku = sku;
  c.position.on_hand = on_hand;
  if (last_count != nullptr) c.position.last_count_at = at(last_count);
  c.sales_per_day = sales_per_day;
  c.velocity = sales_per_day >= 4   ? VelocityClass::fast
               : sales_per_day >= 2 ? VelocityClass::medium
                                    : VelocityClass::dormant;
  c.unit_cost_cents = cost;
  return c;
}

TEST(CountSchedule, RanksByTheDocumentedScoreWithReasons) {
  const Timestamp now = at("2026-11-28T00:00:00Z");
  std::vector<CountCandidate> candidates{
      // negative on-hand 10 + age 1 (30 d) = 11
      candidate("NEG", -2, "2026-10-29T00:00:00Z"),
      // never counted 3 + fast mover 2 = 5
      candidate("FAST", 20, nullptr, 4.0),
      // age 0.5 (15 d) + medium mover 1 + past variance min(10 × 6/20, 3) = 3 → 4.5
      candidate("SHAKY", 10, "2026-11-13T00:00:00Z", 2.0),
      // age 0.1 (3 d) + value 2 (the top value: 10 × 5000) = 2.1
      candidate("GOLD", 10, "2026-11-25T00:00:00Z", 0, 5000),
      // age 0.1 + jump 2 (−12 units when 20 were there) = 2.1, ties GOLD: by SKU
      candidate("JUMP", 8, "2026-11-25T00:00:00Z"),
      // age 0.1 only
      candidate("CALM", 5, "2026-11-25T00:00:00Z"),
  };
  candidates[2].past_variance_units = 6;
  candidates[2].past_system_units = 20;
  candidates[4].largest_jump_units = -12;
  candidates[4].on_hand_before_jump = 20;
  const auto ranked = schedule_counts(candidates, now, 5);
  ASSERT_EQ(ranked.size(), 5u);
  const auto sku = [&](size_t i) { return candidates[ranked[i].candidate].sku; };
  EXPECT_EQ(sku(0), "NEG");
  EXPECT_DOUBLE_EQ(ranked[0].score, 11);
  EXPECT_EQ(ranked[0].reasons, (std::vector<std::string>{"negative_on_hand", "not_counted_30d"}));
  EXPECT_EQ(sku(1), "FAST");
  EXPECT_DOUBLE_EQ(ranked[1].score, 5);
  EXPECT_EQ(ranked[1].reasons, (std::vector<std::string>{"never_counted", "fast_mover"}));
  EXPECT_EQ(sku(2), "SHAKY");
  EXPECT_DOUBLE_EQ(ranked[2].score, 4.5);
  EXPECT_EQ(ranked[2].reasons, (std::vector<std::string>{"medium_mover", "past_variance"}));
  EXPECT_EQ(sku(3), "GOLD");
  EXPECT_NEAR(ranked[3].score, 2.1, 1e-9);
  EXPECT_EQ(ranked[3].reasons, std::vector<std::string>{"high_value"});
  EXPECT_EQ(sku(4), "JUMP");
  EXPECT_EQ(ranked[4].reasons, std::vector<std::string>{"sudden_jump"});
  // CALM did not fit the capacity of 5.
}

TEST(CountSchedule, ASmallJumpIsNotSudden) {
  std::vector<CountCandidate> candidates{candidate("A", 100, "2026-11-27T00:00:00Z")};
  candidates[0].largest_jump_units = 12;
  candidates[0].on_hand_before_jump = 100;  // 12 is not half of 100
  const auto ranked = schedule_counts(candidates, at("2026-11-28T00:00:00Z"), 10);
  EXPECT_TRUE(ranked[0].reasons.empty());
}

}  // namespace
}  // namespace stockd
