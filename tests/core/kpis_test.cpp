// KPIs from a hand-made ledger with known answers.
#include "core/kpis.hpp"

#include <gtest/gtest.h>

#include "core/test_support.hpp"

namespace stockd {
namespace {

using testing::at;

const Timestamp kT0 = at("2026-11-10T12:00:00Z");

LedgerRecord fact(EventType type, const char* location, int64_t quantity, Timestamp received,
                  Duration lag, std::vector<LedgerDelta> deltas, const char* reason = "") {
  LedgerRecord record;
  record.kind = RecordKind::event;
  record.sku = "KPI-1";
  record.received_at = received;
  record.event.id = "e";
  record.event.source = type == EventType::count ? "pos" : "wms";
  record.event.type = type;
  record.event.sku = "KPI-1";
  record.event.location = location;
  record.event.quantity = quantity;
  record.event.reason = reason;
  record.event.occurred_at = received - lag;
  record.effective_occurred_at = received - lag;
  record.status = EventStatus::applied;
  record.deltas = std::move(deltas);
  return record;
}

TEST(Kpis, FromAHandMadeLedger) {
  const Timestamp from = at("2026-11-01T00:00:00Z");
  const Timestamp to = at("2026-12-01T00:00:00Z");
  KpiCalculator kpis(from, to);
  // Before the window: a count at W1 (only tells when W1 was last counted).
  kpis.add(fact(EventType::count, "W1", 3, kT0 - std::chrono::hours{24 * 40}, Duration{}, {}));
  kpis.add(fact(EventType::receipt, "W1", 10, kT0, std::chrono::seconds{2},
                {{"W1", Bucket::on_hand, 10}}));
  kpis.add(
      fact(EventType::sale, "W1", 4, kT0, std::chrono::minutes{10}, {{"W1", Bucket::on_hand, -4}}));
  kpis.add(fact(EventType::cancellation, "W1", 1, kT0, std::chrono::seconds{1}, {}, "oversold"));
  kpis.add(
      fact(EventType::cancellation, "W1", 1, kT0, std::chrono::seconds{1}, {}, "customer_request"));
  // Counts: S1 system 10 counted 8 (first count); W1 system 4 counted 5, 40 days after
  // its previous count.
  kpis.add(fact(EventType::count, "S1", 8, kT0, Duration{}, {{"S1", Bucket::on_hand, -2}}));
  kpis.add(fact(EventType::count, "W1", 5, kT0, Duration{}, {{"W1", Bucket::on_hand, 1}}));
  // A superseded fact still counts for lag; a rejected one never reaches the ledger.
  LedgerRecord late = fact(EventType::receipt, "W1", 1, kT0, std::chrono::seconds{30}, {});
  late.status = EventStatus::superseded;
  kpis.add(late);
  LedgerRecord hold;
  hold.kind = RecordKind::reservation_created;
  hold.received_at = kT0;
  kpis.add(hold);
  hold.received_at = to + std::chrono::seconds{1};  // after the window
  kpis.add(hold);
  kpis.add(fact(EventType::sale, "W1", 100, to + std::chrono::hours{1}, Duration{}, {}));

  const Kpis result = kpis.result();
  EXPECT_EQ(result.lag.events, 7u);
  EXPECT_NEAR(result.lag.synced_within_target, 6.0 / 7.0, 1e-9);
  EXPECT_GT(result.lag.p95_seconds, 300);  // the 10-minute-late sale
  EXPECT_LE(result.lag.p50_seconds, 2.5);
  EXPECT_EQ(result.lag_by_source.at("pos").events, 2u);
  EXPECT_EQ(result.lag_by_location.at("S1").events, 1u);
  EXPECT_EQ(result.sales, 4u);
  EXPECT_EQ(result.cancellations_by_reason.at("oversold"), 1u);
  EXPECT_EQ(result.cancellations_by_reason.at("customer_request"), 1u);
  EXPECT_DOUBLE_EQ(result.cancellation_rate, 0.5);
  EXPECT_DOUBLE_EQ(result.availability_cancellation_rate, 0.25);
  EXPECT_EQ(result.variance.counts, 2u);
  EXPECT_EQ(result.variance.system_units, 14);
  EXPECT_EQ(result.variance.variance_units, 3);
  EXPECT_DOUBLE_EQ(result.variance.variance_share, 3.0 / 14.0);
  EXPECT_EQ(result.variance_by_location.at("S1").variance_units, 2);
  EXPECT_EQ(result.variance_by_aging.at("first").system_units, 10);
  EXPECT_EQ(result.variance_by_aging.at("31-90d").variance_units, 1);
  EXPECT_EQ(result.reservations_created, 1u);
}

TEST(Kpis, AnEmptyWindowHasNoRates) {
  const Kpis result = KpiCalculator(kT0, kT0 + std::chrono::hours{1}).result();
  EXPECT_EQ(result.lag.events, 0u);
  EXPECT_EQ(result.cancellation_rate, 0);
  EXPECT_EQ(result.variance.variance_share, 0);
}

TEST(Kpis, AllocationAndPromiseAccuracyFromOrders) {
  const auto hour = std::chrono::hours{1};
  KpiCalculator calculator(kT0, kT0 + 24 * hour);
  Order order;
  order.created_at = kT0 + hour;
  order.promise_to = kT0 + 20 * hour;
  calculator.add_order(order, 0, 3);  // shipped, untouched
  Order rerouted = order;
  rerouted.interventions = 1;
  rerouted.delivered_at = kT0 + 21 * hour;  // late
  calculator.add_order(rerouted, 0, 2);
  Order on_time = order;
  on_time.delivered_at = kT0 + 19 * hour;
  calculator.add_order(on_time, 0, 1);
  calculator.add_order(order, 2, 0);  // still open: not yet counted as shipped
  calculator.add_order(order, 0, 0);  // cancelled before shipping
  Order earlier = order;
  earlier.created_at = kT0 - hour;  // placed before the window, delivered in it
  earlier.delivered_at = kT0 + 2 * hour;
  calculator.add_order(earlier, 0, 1);
  const OrderKpis orders = calculator.result().orders;
  EXPECT_EQ(orders.placed, 5u);
  EXPECT_EQ(orders.cancelled, 1u);
  EXPECT_EQ(orders.shipped, 3u);
  EXPECT_EQ(orders.shipped_without_intervention, 2u);
  EXPECT_DOUBLE_EQ(*orders.allocation_accuracy, 2.0 / 3.0);
  EXPECT_EQ(orders.delivered, 3u);
  EXPECT_EQ(orders.delivered_on_time, 2u);
  EXPECT_DOUBLE_EQ(*orders.promise_accuracy, 2.0 / 3.0);
  EXPECT_FALSE(KpiCalculator(kT0, kT0 + hour).result().orders.promise_accuracy.has_value());
}

}  // namespace
}  // namespace stockd
