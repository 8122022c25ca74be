#include "sim/scorecard.hpp"

#include <algorithm>

namespace stockd::sim {
namespace {

double ratio(int64_t part, int64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

// The nearest-rank percentile of sorted values.
double percentile(const std::vector<int64_t>& sorted, double share) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<size_t>(share * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[std::min(rank, sorted.size() - 1)]);
}

}  // namespace

LagFigures lag_figures(std::vector<int64_t> lags_seconds) {
  LagFigures figures;
  figures.count = static_cast<int64_t>(lags_seconds.size());
  if (lags_seconds.empty()) return figures;
  std::sort(lags_seconds.begin(), lags_seconds.end());
  figures.p50_seconds = percentile(lags_seconds, 0.50);
  figures.p95_seconds = percentile(lags_seconds, 0.95);
  const auto within = std::upper_bound(lags_seconds.begin(), lags_seconds.end(), 300);
  figures.within_5_minutes =
      ratio(static_cast<int64_t>(within - lags_seconds.begin()), figures.count);
  return figures;
}

double Scorecard::cancellation_rate() const { return ratio(orders_canceled(), orders_accepted); }

double Scorecard::promise_accuracy() const {
  return orders_fulfilled + orders_canceled() == 0
             ? 1.0
             : ratio(orders_fulfilled, orders_fulfilled + orders_canceled());
}

double Scorecard::pickup_promise_accuracy() const {
  return pickups_accepted == 0 ? 1.0 : ratio(pickups_ready, pickups_accepted);
}

}  // namespace stockd::sim
