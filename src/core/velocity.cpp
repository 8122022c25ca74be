#include "core/velocity.hpp"

#include <algorithm>
#include <cmath>

#include "base/assert.hpp"

namespace stockd {
namespace {

double days_between(Timestamp from, Timestamp to) {
  return std::chrono::duration<double>(to - from).count() / 86400.0;
}

int64_t to_milli(double per_day) {
  return static_cast<int64_t>(std::llround(std::max(0.0, per_day) * 1000.0));
}

}  // namespace

double sales_rate_per_day(const Position& position, Timestamp now) {
  const double stored = static_cast<double>(position.sales_rate_milli_per_day) / 1000.0;
  if (stored <= 0) return 0;
  const double elapsed = std::max(0.0, days_between(position.sales_rate_at, now));
  return stored * std::exp(-elapsed / kVelocityTauDays);
}

void record_sale(Position& position, int64_t quantity, Timestamp at) {
  STOCKD_ASSERT(quantity > 0);
  const double contribution = static_cast<double>(quantity) / kVelocityTauDays;
  if (micros_of(position.sales_rate_at) == 0 || at >= position.sales_rate_at) {
    position.sales_rate_milli_per_day = to_milli(sales_rate_per_day(position, at) + contribution);
    position.sales_rate_at = at;
  } else {
    const double late =
        contribution * std::exp(-days_between(at, position.sales_rate_at) / kVelocityTauDays);
    position.sales_rate_milli_per_day =
        to_milli(static_cast<double>(position.sales_rate_milli_per_day) / 1000.0 + late);
  }
}

int64_t expected_sales(const Position& position, int64_t seconds, Timestamp now) {
  if (seconds <= 0) return 0;
  const double units = sales_rate_per_day(position, now) * static_cast<double>(seconds) / 86400.0;
  return static_cast<int64_t>(std::floor(units + 0.5));
}

}  // namespace stockd
