// Reconciliation: what counts found against what the system believed (pure). Every
// applied `count` in the window is one observation: system = on-hand before the count,
// counted = the count, variance = counted − system. Summaries are kept overall, by
// location, by aging bucket (days since the position's previous count), by position
// (for the top offenders and the count schedule) and by day (the trend). Records are fed
// in ledger order, the ones before the window too (they tell when positions were counted).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "core/ledger.hpp"

namespace stockd {

struct VarianceSummary {
  uint64_t counts = 0;
  int64_t system_units = 0;          // on-hand before the counts (negatives count as 0)
  int64_t variance_units = 0;        // Σ |counted − system|
  int64_t net_units = 0;             // Σ (counted − system): negative = shrink found
  double variance_share = 0;         // variance_units / system_units (0 when no system units)
  int64_t variance_value_cents = 0;  // Σ |variance| × unit cost, where the cost is known
  void add(int64_t system, int64_t counted, std::optional<int64_t> unit_cost_cents);
};

struct PositionVariance {
  std::string sku;
  std::string location;
  VarianceSummary summary;
  int64_t last_variance = 0;  // of the newest count in the window
  Timestamp last_counted_at{};
};

struct Reconciliation {
  Timestamp from{};
  Timestamp to{};
  VarianceSummary overall;
  std::map<std::string, VarianceSummary> by_location;
  // "first" (no earlier count), "0-7d", "8-30d", "31-90d", "90d+".
  std::map<std::string, VarianceSummary> by_aging;
  std::map<Timestamp, VarianceSummary> by_day;  // UTC midnight -> that day's counts
  std::vector<PositionVariance> top_offenders;  // by variance value, then units
};

using UnitCostLookup = std::function<std::optional<int64_t>(const std::string& sku)>;

// The aging bucket for a count `days` after the previous one.
std::string aging_bucket(std::optional<int64_t> days_since_previous);

class ReconciliationCalculator {
 public:
  // `location` = "" for every location; `unit_cost` may be empty (values stay 0).
  ReconciliationCalculator(Timestamp from, Timestamp to, std::string location = "",
                           UnitCostLookup unit_cost = {});
  void add(const LedgerRecord& record);
  Reconciliation result(size_t top_offenders = 10) const;
  // Every position counted in the window, by sku \0 location.
  const std::map<std::string, PositionVariance>& by_position() const { return by_position_; }

 private:
  Reconciliation result_;
  std::string location_;
  UnitCostLookup unit_cost_;
  std::map<std::string, std::optional<int64_t>> costs_;  // memoized lookups
  std::map<std::string, Timestamp> last_count_;          // sku \0 location -> occurred
  std::map<std::string, PositionVariance> by_position_;
};

}  // namespace stockd
