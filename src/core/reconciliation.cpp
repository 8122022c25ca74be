#include "core/reconciliation.hpp"

#include <algorithm>
#include <cstdlib>
#include <tuple>

namespace stockd {

void VarianceSummary::add(int64_t system, int64_t counted, std::optional<int64_t> unit_cost_cents) {
  const int64_t variance = counted - system;
  counts += 1;
  system_units += std::max<int64_t>(system, 0);
  variance_units += std::llabs(variance);
  net_units += variance;
  variance_share = system_units > 0
                       ? static_cast<double>(variance_units) / static_cast<double>(system_units)
                       : 0;
  if (unit_cost_cents) variance_value_cents += std::llabs(variance) * *unit_cost_cents;
}

std::string aging_bucket(std::optional<int64_t> days_since_previous) {
  if (!days_since_previous) return "first";
  const int64_t days = *days_since_previous;
  return days <= 7 ? "0-7d" : days <= 30 ? "8-30d" : days <= 90 ? "31-90d" : "90d+";
}

ReconciliationCalculator::ReconciliationCalculator(Timestamp from, Timestamp to,
                                                   std::string location, UnitCostLookup unit_cost)
    : location_(std::move(location)), unit_cost_(std::move(unit_cost)) {
  result_.from = from;
  result_.to = to;
}

void ReconciliationCalculator::add(const LedgerRecord& record) {
  if (record.kind != RecordKind::event) return;
  const Event& event = record.event;
  if (event.type != EventType::count || record.status != EventStatus::applied) return;
  const std::string position_key = record.sku + '\0' + event.location;
  const bool in_window = record.received_at >= result_.from && record.received_at < result_.to;
  if (in_window && (location_.empty() || event.location == location_)) {
    // The count's on_hand delta is counted − system.
    int64_t delta = 0;
    for (const LedgerDelta& change : record.deltas) {
      if (change.location == event.location && change.bucket == Bucket::on_hand) {
        delta += change.delta;
      }
    }
    const int64_t counted = event.quantity;
    const int64_t system = counted - delta;
    std::optional<int64_t> days;
    if (const auto previous = last_count_.find(position_key); previous != last_count_.end()) {
      days = std::chrono::duration_cast<std::chrono::hours>(record.effective_occurred_at -
                                                            previous->second)
                 .count() /
             24;
    }
    std::optional<int64_t> cost;
    if (unit_cost_) {
      auto [it, inserted] = costs_.try_emplace(record.sku);
      if (inserted) it->second = unit_cost_(record.sku);
      cost = it->second;
    }
    result_.overall.add(system, counted, cost);
    result_.by_location[event.location].add(system, counted, cost);
    result_.by_aging[aging_bucket(days)].add(system, counted, cost);
    const auto day = std::chrono::floor<std::chrono::days>(record.effective_occurred_at);
    result_.by_day[Timestamp{day}].add(system, counted, cost);
    PositionVariance& position = by_position_[position_key];
    position.sku = record.sku;
    position.location = event.location;
    position.summary.add(system, counted, cost);
    position.last_variance = counted - system;
    position.last_counted_at = record.effective_occurred_at;
  }
  last_count_[position_key] = record.effective_occurred_at;
}

Reconciliation ReconciliationCalculator::result(size_t top_offenders) const {
  Reconciliation out = result_;
  std::vector<const PositionVariance*> offenders;
  for (const auto& [key, position] : by_position_) {
    if (position.summary.variance_units > 0) offenders.push_back(&position);
  }
  std::sort(offenders.begin(), offenders.end(), [](const auto* a, const auto* b) {
    return std::make_tuple(-a->summary.variance_value_cents, -a->summary.variance_units, a->sku,
                           a->location) < std::make_tuple(-b->summary.variance_value_cents,
                                                          -b->summary.variance_units, b->sku,
                                                          b->location);
  });
  for (size_t i = 0; i < offenders.size() && i < top_offenders; ++i) {
    out.top_offenders.push_back(*offenders[i]);
  }
  return out;
}

}  // namespace stockd
