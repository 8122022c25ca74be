#include "base/histogram.hpp"

#include <algorithm>

#include "base/assert.hpp"

namespace stockd {

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {
  STOCKD_ASSERT(std::is_sorted(bounds_.begin(), bounds_.end()));
}

Histogram Histogram::seconds() {
  return Histogram({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
                    120, 300, 600});
}

Histogram Histogram::sizes() {
  return Histogram({1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096});
}

void Histogram::observe(double value) {
  const auto at = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  counts_[static_cast<size_t>(at - bounds_.begin())] += 1;
  count_ += 1;
  sum_ += value;
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  if (bounds_.empty() && counts_.empty()) {
    *this = other;
    return;
  }
  STOCKD_ASSERT(bounds_ == other.bounds_);
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
}

Histogram Histogram::since(const Histogram& earlier) const {
  Histogram out = *this;
  if (earlier.count_ == 0 || earlier.bounds_ != bounds_) return out;
  for (size_t i = 0; i < counts_.size(); ++i) {
    out.counts_[i] -= std::min(out.counts_[i], earlier.counts_[i]);
  }
  out.count_ -= std::min(out.count_, earlier.count_);
  out.sum_ -= earlier.sum_;
  return out;
}

double Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  const double rank = q * static_cast<double>(count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    if (static_cast<double>(seen + counts_[i]) >= rank) {
      const double lower = i == 0 ? 0 : bounds_[i - 1];
      if (i == bounds_.size()) return lower;  // +Inf bucket: its lower bound
      const double upper = bounds_[i];
      const double within = (rank - static_cast<double>(seen)) / static_cast<double>(counts_[i]);
      return lower + (upper - lower) * std::clamp(within, 0.0, 1.0);
    }
    seen += counts_[i];
  }
  return bounds_.empty() ? 0 : bounds_.back();
}

}  // namespace stockd
