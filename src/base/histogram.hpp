// A fixed-bucket histogram (Prometheus-style cumulative buckets when exported) and its
// quantile estimate. Pure and single-threaded: callers synchronise or merge copies.
#pragma once

#include <cstdint>
#include <vector>

namespace stockd {

class Histogram {
 public:
  Histogram() = default;
  explicit Histogram(std::vector<double> upper_bounds);
  // Latency buckets in seconds, 1 ms to 10 min.
  static Histogram seconds();
  // Batch sizes, 1 to 4,096.
  static Histogram sizes();

  void observe(double value);
  void merge(const Histogram& other);  // same bounds
  // What was observed since `earlier` (a copy of this histogram taken before).
  Histogram since(const Histogram& earlier) const;

  const std::vector<double>& upper_bounds() const { return bounds_; }
  // Per bucket (not cumulative); the last one is +Inf.
  const std::vector<uint64_t>& counts() const { return counts_; }
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  // Linear interpolation inside the bucket holding quantile q (0..1); 0 when empty.
  double quantile(double q) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // bounds_.size() + 1 (the +Inf bucket)
  uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace stockd
