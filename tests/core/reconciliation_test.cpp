// Reconciliation from a hand-made ledger: every figure computed by hand below.
#include "core/reconciliation.hpp"

#include <gtest/gtest.h>

#include "core/test_support.hpp"

namespace stockd {
namespace {

using testing::at;

LedgerRecord count(const char* sku, const char* location, int64_t counted, int64_t system,
                   const char* when) {
  LedgerRecord record;
  record.kind = RecordKind::event;
  record.sku = sku;
  record.received_at = at(when);
  record.event.id = "c";
  record.event.source = "wms";
  record.event.type = EventType::count;
  record.event.sku = sku;
  record.event.location = location;
  record.event.quantity = counted;
  record.event.occurred_at = at(when);
  record.effective_occurred_at = at(when);
  record.status = EventStatus::applied;
  if (counted != system) record.deltas = {{location, Bucket::on_hand, counted - system}};
  return record;
}

TEST(Reconciliation, VarianceByLocationAgingPositionAndDay) {
  const UnitCostLookup cost = [](const std::string& sku) -> std::optional<int64_t> {
    if (sku == "A") return 250;  // $2.50
    return std::nullopt;
  };
  ReconciliationCalculator calculator(at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"), "",
                                      cost);
  // Before the window: only tells when A@S1 was last counted.
  calculator.add(count("A", "S1", 10, 10, "2026-10-20T09:00:00Z"));
  calculator.add(count("A", "S1", 8, 10, "2026-11-02T09:00:00Z"));     // -2, 13 days: 8-30d
  calculator.add(count("B", "S1", 5, 4, "2026-11-02T10:00:00Z"));      // +1, first
  calculator.add(count("A", "W1", 100, 100, "2026-11-03T08:00:00Z"));  // 0, first
  calculator.add(count("A", "S1", 5, 8, "2026-11-05T09:00:00Z"));      // -3, 3 days: 0-7d
  LedgerRecord superseded = count("B", "S1", 0, 5, "2026-11-06T09:00:00Z");
  superseded.status = EventStatus::superseded;  // not applied: no observation
  calculator.add(superseded);
  const Reconciliation r = calculator.result();
  // Overall: system 10 + 4 + 100 + 8 = 122; |variance| 2 + 1 + 0 + 3 = 6; net -4.
  EXPECT_EQ(r.overall.counts, 4u);
  EXPECT_EQ(r.overall.system_units, 122);
  EXPECT_EQ(r.overall.variance_units, 6);
  EXPECT_EQ(r.overall.net_units, -4);
  EXPECT_DOUBLE_EQ(r.overall.variance_share, 6.0 / 122.0);
  EXPECT_EQ(r.overall.variance_value_cents, 5 * 250);  // B has no cost
  EXPECT_EQ(r.by_location.at("S1").variance_units, 6);
  EXPECT_EQ(r.by_location.at("S1").system_units, 22);
  EXPECT_EQ(r.by_location.at("W1").variance_units, 0);
  EXPECT_EQ(r.by_aging.at("8-30d").variance_units, 2);
  EXPECT_EQ(r.by_aging.at("0-7d").variance_units, 3);
  EXPECT_EQ(r.by_aging.at("first").counts, 2u);
  EXPECT_EQ(r.by_day.at(at("2026-11-02T00:00:00Z")).variance_units, 3);
  EXPECT_EQ(r.by_day.size(), 3u);
  // Offenders: A@S1 (5 units, 1250 cents) before B@S1 (1 unit, no value); A@W1 is clean.
  ASSERT_EQ(r.top_offenders.size(), 2u);
  EXPECT_EQ(r.top_offenders[0].sku, "A");
  EXPECT_EQ(r.top_offenders[0].summary.variance_units, 5);
  EXPECT_EQ(r.top_offenders[0].last_variance, -3);
  EXPECT_EQ(r.top_offenders[1].sku, "B");
}

TEST(Reconciliation, ALocationFilterKeepsOnlyItsCounts) {
  ReconciliationCalculator calculator(at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"), "W1");
  calculator.add(count("A", "S1", 8, 10, "2026-11-02T09:00:00Z"));
  calculator.add(count("A", "W1", 90, 100, "2026-11-03T08:00:00Z"));
  const Reconciliation r = calculator.result();
  EXPECT_EQ(r.overall.counts, 1u);
  EXPECT_EQ(r.overall.variance_units, 10);
  EXPECT_EQ(r.overall.variance_value_cents, 0);  // no costs known
  EXPECT_EQ(r.by_location.count("S1"), 0u);
}

}  // namespace
}  // namespace stockd
