#include "core/count_schedule.hpp"

#include <algorithm>
#include <cstdlib>

namespace stockd {

std::vector<ScheduledCount> schedule_counts(const std::vector<CountCandidate>& candidates,
                                            Timestamp now, size_t capacity) {
  double top_value = 0;
  for (const CountCandidate& c : candidates) {
    top_value = std::max(top_value, static_cast<double>(std::max<int64_t>(c.position.on_hand, 0)) *
                                        static_cast<double>(c.unit_cost_cents));
  }
  std::vector<ScheduledCount> ranked;
  ranked.reserve(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    const CountCandidate& c = candidates[i];
    ScheduledCount out{i, 0, {}};
    if (c.position.on_hand < 0) {
      out.score += 10;
      out.reasons.emplace_back("negative_on_hand");
    }
    if (micros_of(c.position.last_count_at) == 0) {
      out.score += 3;
      out.reasons.emplace_back("never_counted");
    } else {
      const double days =
          std::chrono::duration<double>(now - c.position.last_count_at).count() / 86'400;
      out.score += std::clamp(days / 30, 0.0, 3.0);
      if (days >= 30) {
        out.reasons.push_back("not_counted_" + std::to_string(static_cast<int64_t>(days)) + "d");
      }
    }
    switch (c.velocity) {
      case VelocityClass::fast:
        out.score += 2;
        out.reasons.emplace_back("fast_mover");
        break;
      case VelocityClass::medium:
        out.score += 1;
        out.reasons.emplace_back("medium_mover");
        break;
      case VelocityClass::slow:
        out.score += 0.25;
        break;
      case VelocityClass::dormant:
        break;
    }
    if (c.past_system_units > 0) {
      const double share =
          static_cast<double>(c.past_variance_units) / static_cast<double>(c.past_system_units);
      const double part = std::min(10 * share, 3.0);
      out.score += part;
      if (part >= 0.5) out.reasons.emplace_back("past_variance");
    }
    if (top_value > 0) {
      const double value = static_cast<double>(std::max<int64_t>(c.position.on_hand, 0)) *
                           static_cast<double>(c.unit_cost_cents);
      const double part = 2 * value / top_value;
      out.score += part;
      if (part >= 1) out.reasons.emplace_back("high_value");
    }
    const int64_t jump = std::llabs(c.largest_jump_units);
    if (jump >= 10 && 2 * jump >= std::llabs(c.on_hand_before_jump)) {
      out.score += 2;
      out.reasons.emplace_back("sudden_jump");
    }
    ranked.push_back(std::move(out));
  }
  std::sort(ranked.begin(), ranked.end(), [&](const ScheduledCount& a, const ScheduledCount& b) {
    if (a.score != b.score) return a.score > b.score;
    return candidates[a.candidate].sku < candidates[b.candidate].sku;
  });
  if (ranked.size() > capacity) ranked.resize(capacity);
  return ranked;
}

}  // namespace stockd
