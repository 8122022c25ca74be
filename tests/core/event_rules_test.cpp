#include "core/event_rules.hpp"

#include <gtest/gtest.h>

#include "core/test_support.hpp"

namespace stockd {
namespace {

using testing::at;
using testing::event;

const Timestamp kNow = at("2026-11-27T10:05:00Z");

struct Applied {
  EventDecision decision;
  Position here;
  Position there;
};

Applied run(const Event& e, Position here = {}, Position there = {}, int64_t priority = 100) {
  Catalog catalog = testing::test_catalog();
  EXPECT_TRUE(validate_event(e, catalog).ok())
      << event_error_name(validate_event(e, catalog).error);
  Applied out{decide_event(e, priority, here, there, kNow, RuleOptions{}), here, there};
  apply_event(e, priority, out.decision, out.here, &out.there);
  return out;
}

Position stocked(int64_t on_hand) {
  Position position;
  position.on_hand = on_hand;
  position.version = 1;
  return position;
}

// ---- every event type has its exact effect (DESIGN §3) ----

TEST(EventEffects, SaleTakesFromOnHand) {
  const Applied r = run(event(EventType::sale, 2), stocked(10));
  EXPECT_EQ(r.decision.status, EventStatus::applied);
  EXPECT_EQ(r.here.on_hand, 8);
  EXPECT_EQ(r.here.version, 2u);
}

TEST(EventEffects, ShipmentTakesFromAllocatedAndOnHand) {
  Position p = stocked(10);
  p.allocated = 3;
  const Applied r = run(event(EventType::shipment, 2), p);
  EXPECT_EQ(r.here.on_hand, 8);
  EXPECT_EQ(r.here.allocated, 1);
  EXPECT_EQ(r.decision.anomalies, 0u);
}

TEST(EventEffects, ShipmentBeyondAllocatedNeverDrivesAllocatedNegative) {
  Position p = stocked(10);
  p.allocated = 1;
  const Applied r = run(event(EventType::shipment, 3), p);
  EXPECT_EQ(r.here.on_hand, 7);
  EXPECT_EQ(r.here.allocated, 0);
  EXPECT_TRUE(r.decision.anomalies & static_cast<uint32_t>(Anomaly::exceeds_allocated));
}

TEST(EventEffects, CancellationReleasesAllocated) {
  Position p = stocked(10);
  p.allocated = 4;
  const Applied r = run(event(EventType::cancellation, 4), p);
  EXPECT_EQ(r.here.allocated, 0);
  EXPECT_EQ(r.here.on_hand, 10);
}

TEST(EventEffects, CancellationOfMoreThanAllocatedIsAnAnomalyNotNegativeAllocated) {
  const Applied r = run(event(EventType::cancellation, 4), stocked(10));
  EXPECT_EQ(r.here.allocated, 0);
  EXPECT_EQ(available(r.here), 10);  // availability is not inflated
  EXPECT_TRUE(r.decision.anomalies & static_cast<uint32_t>(Anomaly::exceeds_allocated));
}

TEST(EventEffects, ReturnGoesToTheBucketOfItsCondition) {
  Event resellable = event(EventType::return_, 2);
  EXPECT_EQ(run(resellable, stocked(1)).here.on_hand, 3);
  Event damaged = event(EventType::return_, 2);
  damaged.condition = "damaged";
  const Applied d = run(damaged, stocked(1));
  EXPECT_EQ(d.here.on_hand, 1);
  EXPECT_EQ(d.here.damaged, 2);
  Event inspect = event(EventType::return_, 2);
  inspect.condition = "needs_inspection";
  EXPECT_EQ(run(inspect, stocked(1)).here.quarantine, 2);
}

TEST(EventEffects, AResellableReturnWhereTheSkuIsNotCarriedGoesToQuarantine) {
  const Event resellable = event(EventType::return_, 2);
  const EventDecision decision = decide_event(resellable, 100, Position{}, Position{},
                                              resellable.occurred_at, RuleOptions{}, false);
  Position p;
  apply_event(resellable, 100, decision, p, nullptr);
  EXPECT_EQ(p.on_hand, 0);  // no false availability
  EXPECT_EQ(p.quarantine, 2);
  EXPECT_TRUE(decision.anomalies & static_cast<uint32_t>(Anomaly::return_quarantined));
}

TEST(EventEffects, RestockMovesQuarantineToOnHand) {
  Position p = stocked(1);
  p.quarantine = 3;
  const Applied r = run(event(EventType::restock, 2), p);
  EXPECT_EQ(r.here.quarantine, 1);
  EXPECT_EQ(r.here.on_hand, 3);
}

TEST(EventEffects, TransferOutMovesOnHandHereToInTransitThere) {
  const Applied r = run(event(EventType::transfer_out, 4), stocked(10));
  EXPECT_EQ(r.here.on_hand, 6);
  EXPECT_EQ(r.there.in_transit, 4);
  EXPECT_EQ(r.here.version, 2u);
  EXPECT_EQ(r.there.version, 1u);
}

TEST(EventEffects, TransferInMovesInTransitToOnHand) {
  Position p = stocked(0);
  p.in_transit = 4;
  const Applied r = run(event(EventType::transfer_in, 4), p);
  EXPECT_EQ(r.here.in_transit, 0);
  EXPECT_EQ(r.here.on_hand, 4);
  EXPECT_EQ(r.decision.anomalies, 0u);
}

TEST(EventEffects, TransferInBeyondInTransitIsFlagged) {
  const Applied r = run(event(EventType::transfer_in, 4), stocked(0));
  EXPECT_EQ(r.here.in_transit, 0);
  EXPECT_EQ(r.here.on_hand, 4);
  EXPECT_TRUE(r.decision.anomalies & static_cast<uint32_t>(Anomaly::exceeds_expected));
}

TEST(EventEffects, ReceiptAddsOnHandAndClosesIncoming) {
  Position p = stocked(0);
  p.incoming = 10;
  const Applied r = run(event(EventType::receipt, 6), p);
  EXPECT_EQ(r.here.on_hand, 6);
  EXPECT_EQ(r.here.incoming, 4);
  const Applied unplanned = run(event(EventType::receipt, 6), stocked(0));
  EXPECT_EQ(unplanned.here.incoming, 0);
  EXPECT_EQ(unplanned.decision.anomalies, 0u);  // no PO open: not an over-receipt
}

TEST(EventEffects, ShrinkAndDamage) {
  EXPECT_EQ(run(event(EventType::shrink, 2), stocked(5)).here.on_hand, 3);
  const Applied d = run(event(EventType::damage, 2), stocked(5));
  EXPECT_EQ(d.here.on_hand, 3);
  EXPECT_EQ(d.here.damaged, 2);
}

TEST(EventEffects, AdjustmentIsSigned) {
  EXPECT_EQ(run(event(EventType::adjustment, -2), stocked(5)).here.on_hand, 3);
  EXPECT_EQ(run(event(EventType::adjustment, 7), stocked(5)).here.on_hand, 12);
}

TEST(EventEffects, StatusChangeMovesBetweenConditions) {
  Event e = event(EventType::status_change, 2);
  e.from_status = "quarantine";
  e.to_status = "non_sellable";
  Position p = stocked(5);
  p.quarantine = 2;
  const Applied r = run(e, p);
  EXPECT_EQ(r.here.quarantine, 0);
  EXPECT_EQ(r.here.non_sellable, 2);
  EXPECT_EQ(r.here.on_hand, 5);
}

TEST(EventEffects, CountSetsOnHandAndRecordsTheSet) {
  const Applied r = run(event(EventType::count, 7, "2026-11-27T10:00:00Z"), stocked(10));
  EXPECT_EQ(r.here.on_hand, 7);
  ASSERT_EQ(r.decision.deltas.size, 1);
  EXPECT_EQ(r.decision.deltas.items[0].delta, -3);  // the variance
  ASSERT_TRUE(r.here.last_set.has_value());
  EXPECT_EQ(r.here.last_set->source, "wms");
  EXPECT_EQ(r.here.last_set->as_of, at("2026-11-27T10:00:00Z"));
  EXPECT_EQ(r.here.last_count_at, at("2026-11-27T10:00:00Z"));
}

TEST(EventEffects, CountWithoutVarianceStillBumpsTheVersion) {
  const Applied r = run(event(EventType::count, 10), stocked(10));
  EXPECT_EQ(r.here.on_hand, 10);
  EXPECT_EQ(r.here.version, 2u);
}

// ---- facts are never refused for lack of stock ----

TEST(Facts, MayDriveOnHandNegativeAndRaiseAnAnomaly) {
  const Applied r = run(event(EventType::sale, 5), stocked(2));
  EXPECT_EQ(r.decision.status, EventStatus::applied);
  EXPECT_EQ(r.here.on_hand, -3);
  EXPECT_TRUE(r.decision.anomalies & static_cast<uint32_t>(Anomaly::negative_on_hand));
  EXPECT_FALSE(r.decision.anomalies & static_cast<uint32_t>(Anomaly::oversold));  // no promises
}

TEST(Facts, ASaleBelowPromisesIsOversold) {
  Position p = stocked(5);
  p.reserved = 4;
  const Applied r = run(event(EventType::sale, 3), p);
  EXPECT_EQ(available(r.here), -2);
  EXPECT_TRUE(r.decision.anomalies & static_cast<uint32_t>(Anomaly::oversold));
  EXPECT_FALSE(r.decision.anomalies & static_cast<uint32_t>(Anomaly::negative_on_hand));
}

// ---- clock drift ----

TEST(ClockDrift, FutureBeyondToleranceIsClampedToReceivedAt) {
  const Applied r = run(event(EventType::sale, 1, "2026-11-27T11:00:00Z"), stocked(5));
  EXPECT_EQ(r.decision.occurred_at, kNow);
  EXPECT_TRUE(r.decision.anomalies & static_cast<uint32_t>(Anomaly::clock_drift_clamped));
  EXPECT_EQ(r.here.last_event_at, kNow);
}

TEST(ClockDrift, WithinToleranceIsKept) {
  const Applied r = run(event(EventType::sale, 1, "2026-11-27T10:09:00Z"), stocked(5));
  EXPECT_EQ(r.decision.occurred_at, at("2026-11-27T10:09:00Z"));
  EXPECT_EQ(r.decision.anomalies, 0u);
}

// ---- superseded rules (DESIGN §3, conflicts) ----

Position counted(int64_t on_hand, int64_t priority, const char* as_of) {
  Position p = stocked(on_hand);
  p.last_set = LastSet{"wms", priority, at(as_of)};
  return p;
}

TEST(Superseded, CountFromLowerPrioritySourceIsRecordedNotApplied) {
  const Position p = counted(10, 100, "2026-11-27T09:00:00Z");
  const Applied r = run(event(EventType::count, 3, "2026-11-27T10:00:00Z", "pos"), p, {}, 50);
  EXPECT_EQ(r.decision.status, EventStatus::superseded);
  EXPECT_EQ(r.here.on_hand, 10);
  EXPECT_EQ(r.here.version, 1u);
}

TEST(Superseded, OlderCountFromSamePriorityIsRecordedNotApplied) {
  const Position p = counted(10, 100, "2026-11-27T09:00:00Z");
  const Applied r = run(event(EventType::count, 3, "2026-11-27T08:00:00Z"), p);
  EXPECT_EQ(r.decision.status, EventStatus::superseded);
  EXPECT_EQ(r.here.on_hand, 10);
}

TEST(Superseded, NewerCountFromSamePriorityApplies) {
  const Position p = counted(10, 100, "2026-11-27T09:00:00Z");
  const Applied r = run(event(EventType::count, 3, "2026-11-27T09:30:00Z"), p);
  EXPECT_EQ(r.decision.status, EventStatus::applied);
  EXPECT_EQ(r.here.on_hand, 3);
}

TEST(Superseded, CountFromHigherPriorityAppliesEvenIfOlder) {
  Position p = stocked(10);
  p.last_set = LastSet{"pos", 50, at("2026-11-27T09:00:00Z")};
  const Applied r = run(event(EventType::count, 3, "2026-11-27T08:00:00Z"), p, {}, 100);
  EXPECT_EQ(r.decision.status, EventStatus::applied);
  EXPECT_EQ(r.here.on_hand, 3);
}

TEST(Superseded, DeltaAtOrBeforeTheLastCountIsAlreadyInIt) {
  const Position p = counted(10, 100, "2026-11-27T09:00:00Z");
  const Applied r = run(event(EventType::sale, 2, "2026-11-27T09:00:00Z", "pos"), p, {}, 50);
  EXPECT_EQ(r.decision.status, EventStatus::superseded);
  EXPECT_EQ(r.here.on_hand, 10);
  EXPECT_EQ(r.here.version, 1u);
}

TEST(Superseded, DeltaAfterTheLastCountApplies) {
  const Position p = counted(10, 100, "2026-11-27T09:00:00Z");
  const Applied r = run(event(EventType::sale, 2, "2026-11-27T09:00:01Z", "pos"), p, {}, 50);
  EXPECT_EQ(r.decision.status, EventStatus::applied);
  EXPECT_EQ(r.here.on_hand, 8);
}

TEST(Superseded, DeltaFromAHigherPrioritySourceThanTheCountApplies) {
  Position p = stocked(10);
  p.last_set = LastSet{"pos", 50, at("2026-11-27T09:00:00Z")};
  const Applied r = run(event(EventType::sale, 2, "2026-11-27T08:00:00Z"), p, {}, 100);
  EXPECT_EQ(r.decision.status, EventStatus::applied);
  EXPECT_EQ(r.here.on_hand, 8);
}

TEST(Superseded, AnOldShipmentStillReleasesItsAllocation) {
  // The count covered on_hand, not the allocation the shipment fulfilled.
  Position p = counted(10, 100, "2026-11-27T09:00:00Z");
  p.allocated = 2;
  const Applied r = run(event(EventType::shipment, 2, "2026-11-27T08:00:00Z", "oms"), p, {}, 50);
  EXPECT_EQ(r.decision.status, EventStatus::superseded);
  EXPECT_EQ(r.here.on_hand, 10);
  EXPECT_EQ(r.here.allocated, 0);
  EXPECT_EQ(r.here.version, 2u);
}

// ---- validation: every rejection reason ----

struct RejectCase {
  const char* name;
  std::function<void(Event&)> mutate;
  EventError expected;
  const char* field;
};

class Validation : public ::testing::TestWithParam<RejectCase> {};

TEST_P(Validation, RejectsWithItsReasonAndField) {
  const RejectCase& c = GetParam();
  Event e = event(EventType::sale, 1);
  c.mutate(e);
  const EventCheck check = validate_event(e, testing::test_catalog());
  EXPECT_EQ(event_error_name(check.error), event_error_name(c.expected));
  EXPECT_EQ(check.field, c.field);
}

INSTANTIATE_TEST_SUITE_P(
    EveryReason, Validation,
    ::testing::Values(
        RejectCase{"missing_id", [](Event& e) { e.id = ""; }, EventError::missing_id, "id"},
        RejectCase{"invalid_id", [](Event& e) { e.id = "a b"; }, EventError::invalid_id, "id"},
        RejectCase{"unknown_source", [](Event& e) { e.source = "erp"; }, EventError::unknown_source,
                   "source"},
        RejectCase{"invalid_sku", [](Event& e) { e.sku = "TEE RED"; }, EventError::invalid_sku,
                   "sku"},
        RejectCase{"sku_too_long", [](Event& e) { e.sku = std::string(129, 'A'); },
                   EventError::invalid_sku, "sku"},
        RejectCase{"empty_sku", [](Event& e) { e.sku = ""; }, EventError::invalid_sku, "sku"},
        RejectCase{"unknown_location", [](Event& e) { e.location = "W9"; },
                   EventError::unknown_location, "location"},
        RejectCase{"zero_quantity", [](Event& e) { e.quantity = 0; },
                   EventError::quantity_out_of_range, "quantity"},
        RejectCase{"negative_quantity", [](Event& e) { e.quantity = -1; },
                   EventError::quantity_out_of_range, "quantity"},
        RejectCase{"huge_quantity", [](Event& e) { e.quantity = 1'000'000'001; },
                   EventError::quantity_out_of_range, "quantity"},
        RejectCase{"zero_adjustment",
                   [](Event& e) {
                     e.type = EventType::adjustment;
                     e.reason = "x";
                     e.quantity = 0;
                   },
                   EventError::quantity_out_of_range, "quantity"},
        RejectCase{"negative_count",
                   [](Event& e) {
                     e.type = EventType::count;
                     e.quantity = -1;
                   },
                   EventError::quantity_out_of_range, "quantity"},
        RejectCase{"missing_occurred_at", [](Event& e) { e.occurred_at = Timestamp{}; },
                   EventError::missing_occurred_at, "occurred_at"},
        RejectCase{"cancellation_without_reason",
                   [](Event& e) { e.type = EventType::cancellation; }, EventError::missing_reason,
                   "reason"},
        RejectCase{"cancellation_unknown_reason",
                   [](Event& e) {
                     e.type = EventType::cancellation;
                     e.reason = "bored";
                   },
                   EventError::invalid_reason, "reason"},
        RejectCase{"shrink_without_reason", [](Event& e) { e.type = EventType::shrink; },
                   EventError::missing_reason, "reason"},
        RejectCase{"adjustment_without_reason", [](Event& e) { e.type = EventType::adjustment; },
                   EventError::missing_reason, "reason"},
        RejectCase{"return_without_condition", [](Event& e) { e.type = EventType::return_; },
                   EventError::missing_condition, "condition"},
        RejectCase{"return_unknown_condition",
                   [](Event& e) {
                     e.type = EventType::return_;
                     e.condition = "shiny";
                   },
                   EventError::invalid_condition, "condition"},
        RejectCase{"condition_on_a_sale", [](Event& e) { e.condition = "damaged"; },
                   EventError::unexpected_field, "condition"},
        RejectCase{"transfer_without_destination",
                   [](Event& e) { e.type = EventType::transfer_out; },
                   EventError::missing_to_location, "to_location"},
        RejectCase{"transfer_to_unknown",
                   [](Event& e) {
                     e.type = EventType::transfer_out;
                     e.to_location = "W9";
                   },
                   EventError::unknown_to_location, "to_location"},
        RejectCase{"transfer_to_itself",
                   [](Event& e) {
                     e.type = EventType::transfer_out;
                     e.to_location = "W1";
                   },
                   EventError::transfer_to_self, "to_location"},
        RejectCase{"to_location_on_a_sale", [](Event& e) { e.to_location = "W2"; },
                   EventError::unexpected_field, "to_location"},
        RejectCase{"status_change_without_from",
                   [](Event& e) {
                     e.type = EventType::status_change;
                     e.to_status = "damaged";
                   },
                   EventError::missing_status, "from_status"},
        RejectCase{"status_change_unknown_status",
                   [](Event& e) {
                     e.type = EventType::status_change;
                     e.from_status = "on_hand";
                     e.to_status = "lost";
                   },
                   EventError::invalid_status, "to_status"},
        RejectCase{"status_change_to_a_promise_bucket",
                   [](Event& e) {
                     e.type = EventType::status_change;
                     e.from_status = "on_hand";
                     e.to_status = "reserved";
                   },
                   EventError::invalid_status, "to_status"},
        RejectCase{"status_change_to_same",
                   [](Event& e) {
                     e.type = EventType::status_change;
                     e.from_status = "damaged";
                     e.to_status = "damaged";
                   },
                   EventError::same_status, "to_status"},
        RejectCase{"status_on_a_sale", [](Event& e) { e.to_status = "damaged"; },
                   EventError::unexpected_field, "to_status"},
        RejectCase{"reason_too_long", [](Event& e) { e.reason = std::string(513, 'x'); },
                   EventError::text_too_long, "reason"}),
    [](const ::testing::TestParamInfo<RejectCase>& info) { return std::string(info.param.name); });

TEST(Validation, AValidEventOfEveryTypePasses) {
  const Catalog catalog = testing::test_catalog();
  for (const EventType type : kAllEventTypes) {
    const Event e = event(type, type == EventType::adjustment ? -1 : 1);
    EXPECT_TRUE(validate_event(e, catalog).ok()) << event_type_name(type);
  }
}

}  // namespace
}  // namespace stockd
