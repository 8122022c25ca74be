// KPIs computed from the ledger (pure): event lag, the share of events synced within
// 5 minutes, cancellations by reason, reconciliation variance by location and aging, and
// reservation outcomes. The caller feeds records in (stream, sequence) order.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/histogram.hpp"
#include "base/time.hpp"
#include "core/ledger.hpp"
#include "core/order.hpp"
#include "core/reconciliation.hpp"

namespace stockd {

inline constexpr Duration kSyncTarget = std::chrono::minutes{5};

struct LagSummary {
  uint64_t events = 0;
  double p50_seconds = 0;
  double p95_seconds = 0;
  double synced_within_target = 0;  // share of events with lag <= 5 minutes (0..1)
};

// Orders placed in the window (allocation accuracy) and delivered in it (promise accuracy).
struct OrderKpis {
  uint64_t placed = 0;
  uint64_t cancelled = 0;  // nothing shipped, nothing open
  uint64_t shipped = 0;    // fully shipped or delivered: nothing open, something shipped
  uint64_t shipped_without_intervention = 0;  // of those, never re-routed
  std::optional<double> allocation_accuracy;  // shipped_without_intervention / shipped
  uint64_t delivered = 0;
  uint64_t delivered_on_time = 0;          // at or before the promised window's end
  std::optional<double> promise_accuracy;  // delivered_on_time / delivered
};

struct Kpis {
  Timestamp from{};
  Timestamp to{};
  LagSummary lag;  // applied and superseded events, received − occurred
  std::map<std::string, LagSummary> lag_by_source;
  std::map<std::string, LagSummary> lag_by_location;
  uint64_t sales = 0;                                       // units sold (sale events)
  std::map<std::string, uint64_t> cancellations_by_reason;  // units
  double cancellation_rate = 0;                             // cancelled units per sold unit
  // Only the reasons that mean stock was not there: oversold, late_vendor_receipt,
  // damaged_discovery.
  double availability_cancellation_rate = 0;
  VarianceSummary variance;
  std::map<std::string, VarianceSummary> variance_by_location;
  // By time since the position's previous count in the ledger: "0-7d", "8-30d",
  // "31-90d", "90d+", or "first" (no earlier count).
  std::map<std::string, VarianceSummary> variance_by_aging;
  uint64_t reservations_created = 0;
  uint64_t reservations_committed = 0;
  uint64_t reservations_expired = 0;
  uint64_t reservations_released = 0;
  uint64_t promises_at_risk = 0;
  OrderKpis orders;
};

class KpiCalculator {
 public:
  KpiCalculator(Timestamp from, Timestamp to);
  // Every record (the ones before `from` too: they tell when positions were counted).
  void add(const LedgerRecord& record);
  // Every stored order, with its units still open and shipped.
  void add_order(const Order& order, int64_t open_units, int64_t shipped_units);
  Kpis result() const;

 private:
  struct LagCollector {
    Histogram histogram = Histogram::seconds();
    uint64_t within = 0;
    void observe(double seconds);
    LagSummary summary() const;
  };

  Kpis kpis_;
  LagCollector lag_;
  std::map<std::string, LagCollector> lag_by_source_;
  std::map<std::string, LagCollector> lag_by_location_;
  ReconciliationCalculator reconciliation_;  // the variance figures
};

}  // namespace stockd
