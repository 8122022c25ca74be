// Exception-based cycle counting: which positions of a location to count next (pure).
//
// Each position scores the sum of these parts (each one's reason is given when it counts):
//   negative_on_hand  +10   the system believes fewer than zero units are there
//   never_counted     +3    no count on record
//   count_age         min(days since the last count / 30, 3)        ("not_counted_<n>d", >= 30 d)
//   velocity class    fast 2, medium 1, slow 0.25, dormant 0           ("fast_mover",
//   "medium_mover") past_variance     min(10 × past |variance| / system units, 3) ("past_variance",
//   >= 0.5) value             2 × on-hand value / the location's highest      ("high_value", >= 1)
//   sudden_jump       +2    an adjustment, shrink or damage since the last count moved
//                           on-hand by at least 10 units and half of what was there
// The highest scores go first; ties by SKU. Positions with nothing on hand, never sold
// and never counted wrong score only their age.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "core/forecast.hpp"
#include "core/position.hpp"

namespace stockd {

struct CountCandidate {
  std::string sku;
  Position position;
  double sales_per_day = 0;  // shown; the class scores
  VelocityClass velocity = VelocityClass::dormant;
  int64_t unit_cost_cents = 0;  // 0 = unknown
  // From earlier counts: Σ |variance| and Σ system units.
  int64_t past_variance_units = 0;
  int64_t past_system_units = 0;
  // The largest single on-hand move by an adjustment, shrink or damage since the last
  // count, and on-hand just before it.
  int64_t largest_jump_units = 0;
  int64_t on_hand_before_jump = 0;
};

struct ScheduledCount {
  size_t candidate = 0;  // index into the candidates
  double score = 0;
  std::vector<std::string> reasons;
};

std::vector<ScheduledCount> schedule_counts(const std::vector<CountCandidate>& candidates,
                                            Timestamp now, size_t capacity);

}  // namespace stockd
