#include "core/availability.hpp"

#include <algorithm>

#include "base/assert.hpp"
#include "base/limits.hpp"

namespace stockd {

SellableRule sellable_rule(const Channel& channel, const Location& location) {
  SellableRule rule;
  rule.buffer_units = channel.buffer_units;
  rule.buffer_percent = channel.buffer_percent;
  rule.protected_units = location.type == LocationType::store ? location.protected_min : 0;
  return rule;
}

int64_t buffer_units(const SellableRule& rule, int64_t available_units) {
  STOCKD_ASSERT(rule.buffer_percent >= 0 && rule.buffer_percent <= 100);
  if (available_units <= 0) return 0;
  STOCKD_ASSERT(available_units <= 4 * limits::quantity_max * 1000);  // no overflow below
  const int64_t by_percent = (available_units * rule.buffer_percent + 99) / 100;
  return std::max(rule.buffer_units, by_percent);
}

int64_t sellable(const Position& position, const SellableRule& rule) {
  const int64_t available_units = available(position);
  const int64_t units =
      available_units - buffer_units(rule, available_units) - rule.protected_units;
  return std::max<int64_t>(0, units);
}

}  // namespace stockd
