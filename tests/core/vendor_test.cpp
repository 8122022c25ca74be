// The vendor scorecard on hand-made POs, ASNs and receipts: every figure by hand.
#include "core/vendor.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/test_support.hpp"

namespace stockd {
namespace {

using testing::at;

PurchaseOrder po(const char* id, const char* sku, int64_t quantity, const char* created,
                 const char* expected) {
  PurchaseOrder out;
  out.id = id;
  out.vendor = "acme";
  out.sku = sku;
  out.location = "W1";
  out.quantity = quantity;
  out.created_at = at(created);
  out.expected_at = at(expected);
  return out;
}

TEST(VendorScorecard, EveryFigureFromAHandMadeHistory) {
  const std::vector<PurchaseOrder> pos{
      po("PO-1", "A", 100, "2026-11-01T00:00:00Z", "2026-11-05T00:00:00Z"),
      po("PO-2", "B", 50, "2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z"),
      po("PO-3", "C", 40, "2026-11-02T00:00:00Z", "2026-11-10T00:00:00Z"),
      po("PO-4", "D", 10, "2026-11-20T00:00:00Z", "2026-12-10T00:00:00Z"),  // not due
  };
  Asn asn;
  asn.id = "ASN-1";
  asn.vendor = "acme";
  asn.purchase_order_id = "PO-2";
  asn.expected_at = at("2026-11-07T00:00:00Z");
  asn.lines = {{"B", 50}, {"E", 10}};
  Asn future = asn;
  future.id = "ASN-2";
  future.expected_at = at("2026-12-20T00:00:00Z");  // not due, nothing arrived: not judged
  const std::vector<VendorReceipt> receipts{
      {"PO-1", "A", 60, at("2026-11-05T15:00:00Z")},  // 4.625 d, on the expected day: on time
      {"PO-1", "A", 40, at("2026-11-09T00:00:00Z")},
      {"ASN-1", "B", 45, at("2026-11-07T00:00:00Z")},  // via the ASN: PO-2, 6 d, on time
      {"ASN-1", "E", 10, at("2026-11-07T00:00:00Z")},
      {"PO-3", "C", 20, at("2026-11-12T00:00:00Z")},  // 10 d, late
      {"PO-9", "Z", 5, at("2026-11-12T00:00:00Z")},   // another vendor's: ignored
  };
  const VendorScorecard card =
      score_vendor("acme", pos, {asn, future}, receipts, at("2026-11-28T00:00:00Z"));
  // ASN-1: B 45 of 50 (off by 5), E 10 of 10.
  EXPECT_EQ(card.asns, 1u);
  EXPECT_EQ(card.asn_lines, 2u);
  EXPECT_EQ(card.asn_lines_as_announced, 1u);
  EXPECT_DOUBLE_EQ(*card.asn_line_accuracy, 0.5);
  EXPECT_EQ(card.asn_units_announced, 60);
  EXPECT_EQ(card.asn_units_received, 55);
  EXPECT_DOUBLE_EQ(*card.asn_unit_accuracy, 1.0 - 5.0 / 60.0);
  // Lead times 4.625, 6 and 10 days: mean 6.875, population sd sqrt(5.2734375).
  EXPECT_EQ(card.purchase_orders, 4u);
  EXPECT_EQ(card.purchase_orders_received, 3u);
  EXPECT_DOUBLE_EQ(*card.lead_time_days_mean, 6.875);
  EXPECT_NEAR(*card.lead_time_days_stddev,
              std::sqrt(((4.625 - 6.875) * (4.625 - 6.875) + (6 - 6.875) * (6 - 6.875) +
                         (10 - 6.875) * (10 - 6.875)) /
                        3),
              1e-12);
  EXPECT_EQ(card.purchase_orders_on_time, 2u);
  EXPECT_DOUBLE_EQ(*card.on_time_rate, 2.0 / 3.0);
  // Due: PO-1 100 of 100, PO-2 45 of 50, PO-3 20 of 40 → 165 / 190.
  EXPECT_EQ(card.units_ordered_due, 190);
  EXPECT_EQ(card.units_received_due, 165);
  EXPECT_DOUBLE_EQ(*card.fill_rate, 165.0 / 190.0);
}

TEST(VendorScorecard, NothingToJudgeGivesNoRates) {
  const VendorScorecard card = score_vendor("quiet", {}, {}, {}, at("2026-11-28T00:00:00Z"));
  EXPECT_FALSE(card.asn_line_accuracy.has_value());
  EXPECT_FALSE(card.fill_rate.has_value());
  EXPECT_FALSE(card.on_time_rate.has_value());
}

TEST(VendorScorecard, AsnsRoundTrip) {
  Asn asn;
  asn.id = "ASN-1";
  asn.vendor = "acme";
  asn.expected_at = at("2026-11-07T00:00:00Z");
  asn.lines = {{"B", 50}};
  EXPECT_EQ(decode_asn(encode_asn(asn)), asn);
  EXPECT_FALSE(decode_asn(encode_asn(asn) + "x").has_value());
}

}  // namespace
}  // namespace stockd
