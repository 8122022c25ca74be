// The Prometheus text exposition format (version 0.0.4): families with HELP and TYPE,
// samples with escaped labels, histograms as cumulative _bucket{le} (with +Inf), _sum and
// _count. Names follow the conventions: units as suffixes, _total for counters.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/histogram.hpp"

namespace stockd {

using Labels = std::vector<std::pair<std::string, std::string>>;

class PrometheusText {
 public:
  // Starts a family; its samples follow. `type`: counter, gauge or histogram.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, double value);
  void histogram(std::string_view name, const Labels& labels, const Histogram& histogram);
  const std::string& text() const { return out_; }

 private:
  void labels(const Labels& labels, std::string_view extra_key = {},
              std::string_view extra_value = {});
  std::string out_;
};

}  // namespace stockd
