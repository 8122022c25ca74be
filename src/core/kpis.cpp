#include "core/kpis.hpp"

#include <cstdlib>

namespace stockd {

void KpiCalculator::LagCollector::observe(double seconds) {
  histogram.observe(seconds);
  if (seconds <= std::chrono::duration<double>(kSyncTarget).count()) ++within;
}

LagSummary KpiCalculator::LagCollector::summary() const {
  LagSummary out;
  out.events = histogram.count();
  if (out.events == 0) return out;
  out.p50_seconds = histogram.quantile(0.5);
  out.p95_seconds = histogram.quantile(0.95);
  out.synced_within_target = static_cast<double>(within) / static_cast<double>(out.events);
  return out;
}

KpiCalculator::KpiCalculator(Timestamp from, Timestamp to) : reconciliation_(from, to) {
  kpis_.from = from;
  kpis_.to = to;
}

void KpiCalculator::add(const LedgerRecord& record) {
  const bool in_window = record.received_at >= kpis_.from && record.received_at < kpis_.to;
  if (record.kind != RecordKind::event) {
    if (!in_window) return;
    switch (record.kind) {
      case RecordKind::reservation_created:
        ++kpis_.reservations_created;
        break;
      case RecordKind::reservation_committed:
        ++kpis_.reservations_committed;
        break;
      case RecordKind::reservation_expired:
        ++kpis_.reservations_expired;
        break;
      case RecordKind::reservation_released:
        ++kpis_.reservations_released;
        break;
      case RecordKind::promise_at_risk:
        ++kpis_.promises_at_risk;
        break;
      default:
        break;
    }
    return;
  }
  const Event& event = record.event;
  reconciliation_.add(record);
  if (!in_window) return;
  // stockd's own facts (order cancellations) have no lag to measure.
  if ((record.status == EventStatus::applied || record.status == EventStatus::superseded) &&
      event.source != kInternalSource) {
    const double lag = std::max<double>(
        0, std::chrono::duration<double>(record.received_at - event.occurred_at).count());
    lag_.observe(lag);
    lag_by_source_[event.source].observe(lag);
    lag_by_location_[event.location].observe(lag);
  }
  if (record.status != EventStatus::applied) return;
  if (event.type == EventType::sale) kpis_.sales += static_cast<uint64_t>(event.quantity);
  if (event.type == EventType::cancellation) {
    kpis_.cancellations_by_reason[event.reason] += static_cast<uint64_t>(event.quantity);
  }
}

void KpiCalculator::add_order(const Order& order, int64_t open_units, int64_t shipped_units) {
  OrderKpis& orders = kpis_.orders;
  const auto within = [&](Timestamp at) { return at >= kpis_.from && at < kpis_.to; };
  if (within(order.created_at)) {
    ++orders.placed;
    if (open_units == 0 && shipped_units == 0) ++orders.cancelled;
    if (open_units == 0 && shipped_units > 0) {
      ++orders.shipped;
      if (order.interventions == 0) ++orders.shipped_without_intervention;
    }
  }
  if (micros_of(order.delivered_at) > 0 && within(order.delivered_at)) {
    ++orders.delivered;
    if (order.delivered_at <= order.promise_to) ++orders.delivered_on_time;
  }
  if (orders.shipped > 0) {
    orders.allocation_accuracy = static_cast<double>(orders.shipped_without_intervention) /
                                 static_cast<double>(orders.shipped);
  }
  if (orders.delivered > 0) {
    orders.promise_accuracy =
        static_cast<double>(orders.delivered_on_time) / static_cast<double>(orders.delivered);
  }
}

Kpis KpiCalculator::result() const {
  Kpis out = kpis_;
  const Reconciliation reconciliation = reconciliation_.result(0);
  out.variance = reconciliation.overall;
  out.variance_by_location = reconciliation.by_location;
  out.variance_by_aging = reconciliation.by_aging;
  out.lag = lag_.summary();
  for (const auto& [source, collector] : lag_by_source_)
    out.lag_by_source[source] = collector.summary();
  for (const auto& [location, collector] : lag_by_location_) {
    out.lag_by_location[location] = collector.summary();
  }
  uint64_t cancelled = 0;
  uint64_t for_availability = 0;
  for (const auto& [reason, units] : out.cancellations_by_reason) {
    cancelled += units;
    if (reason == "oversold" || reason == "late_vendor_receipt" || reason == "damaged_discovery") {
      for_availability += units;
    }
  }
  const auto share = [&](uint64_t units) {
    return out.sales > 0 ? static_cast<double>(units) / static_cast<double>(out.sales) : 0.0;
  };
  out.cancellation_rate = share(cancelled);
  out.availability_cancellation_rate = share(for_availability);
  return out;
}

}  // namespace stockd
