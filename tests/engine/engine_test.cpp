#include "engine/engine.hpp"

#include <gtest/gtest.h>

#include <future>
#include <latch>
#include <set>
#include <thread>

#include "engine/audit.hpp"
#include "engine/engine_fixture.hpp"

namespace stockd {
namespace {

using testing::EngineFixture;
using testing::event;

class EngineTest : public EngineFixture {};

TEST_F(EngineTest, AppliesEventsAndVersionsPositions) {
  const auto results = apply({receipt("r-1", "A", 100), receipt("r-2", "A", 5)});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].status, EventStatus::applied);
  EXPECT_EQ(results[0].version, 1u);
  EXPECT_EQ(results[1].version, 2u);
  EXPECT_EQ(position("A", "W1").on_hand, 105);
}

TEST_F(EngineTest, ResultsComeBackInInputOrderAcrossShards) {
  std::vector<Event> events;
  for (int i = 0; i < 200; ++i)
    events.push_back(receipt("m-" + std::to_string(i), "SKU-" + std::to_string(i % 17), 1));
  events[50].location = "NOWHERE";
  const auto results = apply(events);
  ASSERT_EQ(results.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(results[i].id, "m-" + std::to_string(i));
  EXPECT_EQ(results[50].error, EventError::unknown_location);
  EXPECT_EQ(results[49].status, EventStatus::applied);
}

TEST_F(EngineTest, ARepeatReturnsTheFirstResultEvenAfterRestart) {
  Event first = receipt("r-1", "A", 10);
  ASSERT_EQ(apply(first).status, EventStatus::applied);
  ASSERT_EQ(apply(receipt("r-2", "A", 1)).version, 2u);
  reopen();
  const EventResult repeat = apply(first);
  EXPECT_EQ(repeat.status, EventStatus::duplicate);
  EXPECT_EQ(repeat.version, 1u);  // the first result, not the current version
  EXPECT_EQ(position("A", "W1").on_hand, 11);
  Event changed = first;
  changed.quantity = 11;
  const EventResult conflict = apply(changed);
  EXPECT_EQ(conflict.status, EventStatus::rejected);
  EXPECT_EQ(conflict.error, EventError::idempotency_conflict);
  EXPECT_EQ(position("A", "W1").on_hand, 11);
}

TEST_F(EngineTest, TheSameKeyTwiceInOneBatchAppliesOnce) {
  const Event e = receipt("r-1", "A", 10);
  const auto results = apply({e, e});
  EXPECT_EQ(results[0].status, EventStatus::applied);
  EXPECT_EQ(results[1].status, EventStatus::duplicate);
  EXPECT_EQ(position("A", "W1").on_hand, 10);
}

TEST_F(EngineTest, TheSameKeyOnTwoShardsAppliesOnce) {
  // Two SKUs that land on different shards, one idempotency key.
  std::string other = "B";
  for (int i = 0; Engine::slot_of(other) % 2 == Engine::slot_of("A") % 2; ++i) {
    other = "B" + std::to_string(i);
  }
  Event a = receipt("same", "A", 1);
  Event b = receipt("same", other, 1);
  const auto results = apply({a, b});
  const int applied =
      (results[0].status == EventStatus::applied) + (results[1].status == EventStatus::applied);
  EXPECT_EQ(applied, 1);
  for (const EventResult& result : results) {
    if (result.status != EventStatus::applied) {
      EXPECT_TRUE(result.error == EventError::idempotency_conflict ||
                  result.error == EventError::idempotency_in_flight);
    }
  }
  // Once the first is durable, the other is a plain conflict.
  const EventResult again = apply(results[0].status == EventStatus::applied ? b : a);
  EXPECT_EQ(again.error, EventError::idempotency_conflict);
}

TEST_F(EngineTest, AKeyAppliesAgainAfterItsRetention) {
  engine_options_.idempotency_retention = std::chrono::hours{1};
  reopen();
  const Event e = receipt("r-1", "A", 10);
  ASSERT_EQ(apply(e).status, EventStatus::applied);
  clock_.advance(std::chrono::minutes{59});
  EXPECT_EQ(apply(e).status, EventStatus::duplicate);
  clock_.advance(std::chrono::minutes{2});
  EXPECT_EQ(apply(e).status, EventStatus::applied);
  EXPECT_EQ(position("A", "W1").on_hand, 20);
}

TEST_F(EngineTest, ReservationsAreGuardedCommittedAndReleased) {
  apply(receipt("r-1", "A", 10));
  const ReserveResult held = reserve("A", 7);
  ASSERT_EQ(held.status, ReserveStatus::ok);
  EXPECT_EQ(held.reservation.location, "W1");
  EXPECT_EQ(held.reservation.expires_at, clock_.now() + std::chrono::seconds{60});
  const ReserveResult refused = reserve("A", 4);
  EXPECT_EQ(refused.status, ReserveStatus::insufficient_stock);
  EXPECT_EQ(refused.available, 3);

  const ReserveResult committed =
      end_reservation_blocking(*engine_, held.reservation.id, ReservationState::committed, "o-1");
  ASSERT_EQ(committed.status, ReserveStatus::ok);
  EXPECT_EQ(committed.reservation.state, ReservationState::committed);
  Position p = position("A", "W1");
  EXPECT_EQ(p.reserved, 0);
  EXPECT_EQ(p.allocated, 7);

  const ReserveResult again =
      end_reservation_blocking(*engine_, held.reservation.id, ReservationState::released);
  EXPECT_EQ(again.status, ReserveStatus::reservation_not_active);
  EXPECT_EQ(get_reservation_blocking(*engine_, held.reservation.id).reservation.order_id, "o-1");
  EXPECT_EQ(end_reservation_blocking(*engine_, "r0000-0000000000000000", ReservationState::released)
                .status,
            ReserveStatus::reservation_not_found);
  EXPECT_EQ(end_reservation_blocking(*engine_, "nonsense", ReservationState::released).status,
            ReserveStatus::reservation_not_found);
}

TEST_F(EngineTest, ReservationFallsThroughCandidatesInOrder) {
  apply(receipt("r-1", "A", 2, "W1"));
  apply(receipt("r-2", "A", 5, "W2"));
  const ReserveResult held = reserve("A", 3, {"W1", "W2"});
  ASSERT_EQ(held.status, ReserveStatus::ok);
  EXPECT_EQ(held.reservation.location, "W2");
  EXPECT_EQ(reserve("A", 1, {"W9"}).status, ReserveStatus::unknown_location);
  EXPECT_EQ(reserve("A", 0).status, ReserveStatus::quantity_out_of_range);
  EXPECT_EQ(reserve("A", 1, {"W1"}, std::chrono::seconds{0}).status,
            ReserveStatus::ttl_out_of_range);
  EXPECT_EQ(reserve("A B", 1).status, ReserveStatus::invalid_sku);
}

TEST_F(EngineTest, AnExpiredHoldStopsCountingAndIsRecordedOnce) {
  apply(receipt("r-1", "A", 10));
  const ReserveResult r1 = reserve("A", 7);
  ASSERT_EQ(r1.status, ReserveStatus::ok);
  EXPECT_EQ(reserve("A", 4).status, ReserveStatus::insufficient_stock);
  clock_.advance(std::chrono::seconds{61});
  const ReserveResult r3 = reserve("A", 4);
  EXPECT_EQ(r3.status, ReserveStatus::ok);
  const Position p = position("A", "W1");
  EXPECT_EQ(p.on_hand, 10);
  EXPECT_EQ(p.reserved, 4);
  EXPECT_EQ(get_reservation_blocking(*engine_, r1.reservation.id).reservation.state,
            ReservationState::expired);
  EXPECT_EQ(end_reservation_blocking(*engine_, r1.reservation.id, ReservationState::committed, "o")
                .status,
            ReserveStatus::reservation_not_active);

  int expired_records = 0;
  ASSERT_TRUE(store_
                  ->for_each_ledger_record([&](uint32_t, uint64_t, std::string_view bytes) {
                    const auto record = decode_ledger_record(bytes);
                    if (record && record->kind == RecordKind::reservation_expired) {
                      ++expired_records;
                      EXPECT_EQ(record->reservation_id, r1.reservation.id);
                    }
                    return true;
                  })
                  .is_ok());
  EXPECT_EQ(expired_records, 1);
}

TEST_F(EngineTest, HoldsSurviveARestartAndExpireAfterIt) {
  apply(receipt("r-1", "A", 10));
  const ReserveResult held = reserve("A", 6);
  reopen();
  EXPECT_EQ(position("A", "W1").reserved, 6);
  EXPECT_EQ(reserve("A", 5).status, ReserveStatus::insufficient_stock);
  clock_.advance(std::chrono::minutes{2});
  reopen();
  EXPECT_EQ(position("A", "W1").reserved, 0);
  EXPECT_EQ(get_reservation_blocking(*engine_, held.reservation.id).reservation.state,
            ReservationState::expired);
}

TEST_F(EngineTest, RestartWithAnotherShardCountKeepsEverything) {
  for (int i = 0; i < 50; ++i)
    apply(receipt("r-" + std::to_string(i), "S" + std::to_string(i), i + 1));
  reopen(3);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(position("S" + std::to_string(i), "W1").on_hand, i + 1);
  EXPECT_EQ(apply(receipt("r-7", "S7", 8)).status, EventStatus::duplicate);
  apply(receipt("more", "S7", 1));
  EXPECT_TRUE(verify_ledger(*store_).ok);
}

TEST_F(EngineTest, AFullQueueAnswersOverloadedAtOnce) {
  engine_options_.queue_commands_max = 2;
  reopen(1);
  apply(receipt("r-0", "A", 1));
  // Park the only shard inside a callback, then fill its queue.
  std::latch parked(1), release(1);
  engine_->get_stock("A", [&](StockView) {
    parked.count_down();
    release.wait();
  });
  parked.wait();
  std::atomic<int> answered{0};
  for (int i = 0; i < 2; ++i) engine_->get_stock("A", [&](StockView) { ++answered; });
  std::vector<EventResult> results;
  engine_->submit_events({receipt("r-1", "A", 1)},
                         [&](std::vector<EventResult> r) { results = std::move(r); });
  ASSERT_EQ(results.size(), 1u);  // answered synchronously
  EXPECT_EQ(results[0].error, EventError::overloaded);
  ReserveResult refused;
  engine_->reserve(ReserveRequest{"A", "", {ReserveCandidate("W1")}, 1, std::chrono::seconds{60}},
                   [&](ReserveResult r) { refused = r; });
  EXPECT_EQ(refused.status, ReserveStatus::overloaded);
  release.count_down();
  engine_->stop();
  EXPECT_EQ(answered.load(), 2);
  EXPECT_GE(engine_->stats().overloaded, 2u);
}

TEST_F(EngineTest, ConfigurationIsStoredWithTheData) {
  Channel channel;
  channel.id = "web";
  channel.locations = {{"W1", 1}};
  ASSERT_TRUE(engine_->put_channel(channel).ok());
  Channel bad = channel;
  bad.locations = {{"NOPE", 1}};
  EXPECT_EQ(engine_->put_channel(bad).error, ConfigError::unknown_location);
  reopen();
  ASSERT_NE(engine_->catalog()->find_channel("web"), nullptr);
  EXPECT_EQ(*engine_->catalog()->find_channel("web"), channel);
  EXPECT_NE(engine_->catalog()->find_source("wms"), nullptr);
}

TEST_F(EngineTest, EveryChangeIsInTheLedgerAndTheChainVerifies) {
  apply(receipt("r-1", "A", 10));
  Event transfer = event(EventType::transfer_out, 3);
  transfer.sku = "A";
  apply(transfer);
  const ReserveResult held = reserve("A", 2);
  end_reservation_blocking(*engine_, held.reservation.id, ReservationState::released);
  const AuditReport report = verify_ledger(*store_);
  EXPECT_TRUE(report.ok) << report.reason;
  EXPECT_EQ(report.records, 4u);
}

TEST_F(EngineTest, ARequestKeyReplaysItsFirstOutcomeEvenAfterRestart) {
  apply(receipt("r-1", "A", 10));
  ReserveRequest request{"A", "web", {ReserveCandidate("W1")}, 4, std::chrono::seconds{60}};
  request.request_key = "token-1:cart-42";
  request.request_fingerprint = sha256("POST /v1/reservations {qty:4}");
  const ReserveResult first = reserve_blocking(*engine_, request);
  ASSERT_EQ(first.status, ReserveStatus::ok);
  EXPECT_FALSE(first.replayed);
  reopen();
  const ReserveResult replay = reserve_blocking(*engine_, request);
  EXPECT_EQ(replay.status, ReserveStatus::ok);
  EXPECT_TRUE(replay.replayed);
  EXPECT_EQ(replay.reservation, first.reservation);
  EXPECT_EQ(replay.version, first.version);    // the first response, byte for byte
  EXPECT_EQ(position("A", "W1").reserved, 4);  // held once
  request.request_fingerprint = sha256("POST /v1/reservations {qty:5}");
  EXPECT_EQ(reserve_blocking(*engine_, request).status, ReserveStatus::idempotency_conflict);
}

TEST_F(EngineTest, ARefusalIsReplayedToo) {
  ReserveRequest request{"A", "web", {ReserveCandidate("W1")}, 4, std::chrono::seconds{60}};
  request.request_key = "k";
  const ReserveResult refused = reserve_blocking(*engine_, request);
  EXPECT_EQ(refused.status, ReserveStatus::insufficient_stock);
  apply(receipt("r-1", "A", 10));
  const ReserveResult replay = reserve_blocking(*engine_, request);
  EXPECT_EQ(replay.status, ReserveStatus::insufficient_stock);
  EXPECT_TRUE(replay.replayed);
}

TEST_F(EngineTest, TheChannelBufferAndProtectedUnitsAreNeverPromised) {
  apply(receipt("r-1", "A", 10, "S1"));
  SellableRule rule;  // 2 units of buffer, 3 protected: 5 sellable
  rule.buffer_units = 2;
  rule.protected_units = 3;
  ReserveRequest request{"A", "web", {ReserveCandidate("S1", rule)}, 6, std::chrono::seconds{60}};
  const ReserveResult refused = reserve_blocking(*engine_, request);
  EXPECT_EQ(refused.status, ReserveStatus::insufficient_stock);
  EXPECT_EQ(refused.available, 5);
  request.quantity = 5;
  EXPECT_EQ(reserve_blocking(*engine_, request).status, ReserveStatus::ok);
}

TEST_F(EngineTest, IfVersionIsCompareAndSet) {
  apply(receipt("r-1", "A", 10));
  Event count = event(EventType::count, 7);
  count.sku = "A";
  count.occurred_at = clock_.now();
  count.if_version = 3;
  const EventResult stale = apply(count);
  EXPECT_EQ(stale.error, EventError::version_mismatch);
  EXPECT_EQ(position("A", "W1").on_hand, 10);
  count.if_version = 1;
  const EventResult applied = apply(count);
  EXPECT_EQ(applied.status, EventStatus::applied);
  EXPECT_EQ(applied.version, 2u);
  EXPECT_EQ(apply(count).status, EventStatus::duplicate);  // a retry is not a mismatch
}

TEST_F(EngineTest, StatsCountOutcomes) {
  apply({receipt("r-1", "A", 1), receipt("r-1", "A", 1), receipt("r-2", "A", 1, "NOPE")});
  const EngineStats stats = engine_->stats();
  EXPECT_EQ(stats.events_applied, 1u);
  EXPECT_EQ(stats.events_duplicate, 1u);
  EXPECT_EQ(stats.events_rejected, 1u);
  EXPECT_GE(stats.batches_written, 1u);
}

}  // namespace
}  // namespace stockd

namespace stockd {
namespace {

class PurchaseOrderTest : public testing::EngineFixture {
 protected:
  PurchaseOrderResult put(const std::string& id, int64_t quantity, const char* expected_at,
                          const std::string& sku = "A") {
    PurchaseOrder po;
    po.id = id;
    po.vendor = "acme";
    po.sku = sku;
    po.location = "W1";
    po.quantity = quantity;
    po.expected_at = testing::at(expected_at);
    std::promise<PurchaseOrderResult> promise;
    engine_->put_purchase_order(po,
                                [&](PurchaseOrderResult r) { promise.set_value(std::move(r)); });
    return promise.get_future().get();
  }
  ReserveResult backorder(int64_t quantity) {
    ReserveRequest request{
        "A", "web", {ReserveCandidate("W1")}, quantity, std::chrono::seconds{60}};
    request.backorder = true;
    return reserve_blocking(*engine_, request);
  }
};

TEST_F(PurchaseOrderTest, APoRaisesIncomingAndAChangeMovesIt) {
  EXPECT_TRUE(put("PO-1", 10, "2026-12-10T00:00:00Z").created);
  EXPECT_EQ(position("A", "W1").incoming, 10);
  EXPECT_FALSE(put("PO-1", 6, "2026-12-10T00:00:00Z").created);
  EXPECT_EQ(position("A", "W1").incoming, 6);
  EXPECT_EQ(put("PO-1", 6, "2026-12-10T00:00:00Z", "B").error,
            PurchaseOrderError::changes_sku_or_location);
  EXPECT_EQ(put("PO-2", 0, "2026-12-10T00:00:00Z").error,
            PurchaseOrderError::quantity_out_of_range);
}

TEST_F(PurchaseOrderTest, BackorderPromisesTakeTheEarliestPoWithRoomFirstPromiseFirst) {
  put("LATE", 10, "2026-12-10T00:00:00Z");
  put("EARLY", 5, "2026-12-05T00:00:00Z");
  const ReserveResult big = backorder(6);
  ASSERT_EQ(big.status, ReserveStatus::ok);
  EXPECT_EQ(big.reservation.purchase_order_id, "LATE");
  EXPECT_EQ(big.reservation.promise_from, testing::at("2026-12-10T00:00:00Z"));
  EXPECT_EQ(big.reservation.promise_to, testing::at("2026-12-13T00:00:00Z"));
  const ReserveResult small = backorder(5);
  EXPECT_EQ(small.reservation.purchase_order_id, "EARLY");
  const ReserveResult none = backorder(5);
  EXPECT_EQ(none.status, ReserveStatus::insufficient_stock);
  EXPECT_EQ(none.available, 4);                // 10 + 5 - 6 - 5
  EXPECT_EQ(position("A", "W1").reserved, 0);  // promises on POs never touch on-hand holds
  // Releasing frees the PO's units for the next promise.
  end_reservation_blocking(*engine_, small.reservation.id, ReservationState::released);
  EXPECT_EQ(backorder(5).reservation.purchase_order_id, "EARLY");
}

TEST_F(PurchaseOrderTest, ASlippedPoMarksLockedPromisesAtRiskAndNeverMovesThem) {
  put("PO-1", 10, "2026-12-05T00:00:00Z");
  const ReserveResult held = backorder(3);
  const ReserveResult committed = backorder(2);
  end_reservation_blocking(*engine_, committed.reservation.id, ReservationState::committed, "o-9");
  EXPECT_EQ(put("PO-1", 10, "2026-12-07T00:00:00Z").promises_at_risk, 0u);  // inside the window
  const PurchaseOrderResult slipped = put("PO-1", 10, "2026-12-20T00:00:00Z");
  EXPECT_EQ(slipped.promises_at_risk, 2u);
  const Reservation after = get_reservation_blocking(*engine_, held.reservation.id).reservation;
  EXPECT_TRUE(after.at_risk);
  EXPECT_EQ(after.promise_to, held.reservation.promise_to);  // locked
  reopen();  // promises and the PO's promised count survive a restart consistently
  EXPECT_EQ(put("PO-1", 4, "2026-12-20T00:00:00Z").error, PurchaseOrderError::below_promised);
  EXPECT_EQ(engine_->find_purchase_order("PO-1")->promised, 5);
}

TEST_F(PurchaseOrderTest, AReceiptNamingThePoCountsAgainstIt) {
  put("PO-1", 10, "2026-12-05T00:00:00Z");
  Event received = receipt("rc-1", "A", 10);
  received.reference = "PO-1";
  apply(received);
  const PurchaseOrder po = *engine_->find_purchase_order("PO-1");
  EXPECT_EQ(po.received, 10);
  EXPECT_FALSE(po_open(po));
  const Position p = position("A", "W1");
  EXPECT_EQ(p.on_hand, 10);
  EXPECT_EQ(p.incoming, 0);
  EXPECT_EQ(backorder(1).status, ReserveStatus::insufficient_stock);
}

}  // namespace
}  // namespace stockd

namespace stockd {
namespace {

class VelocityTest : public testing::EngineFixture {};

// Regression (ReopenEqualsBefore, seed 5000305453119531132): a sale wholly covered by a
// later count changes no bucket, but its velocity must be stored like any other change.
TEST_F(VelocityTest, ASupersededSaleStillStoresItsVelocity) {
  Event count = testing::event(EventType::count, 10, "2026-11-27T10:00:00Z");
  count.sku = "A";
  apply(count);
  Event late_sale = testing::event(EventType::sale, 3, "2026-11-27T09:00:00Z");
  late_sale.sku = "A";
  ASSERT_EQ(apply(late_sale).status, EventStatus::superseded);
  const Position before = position("A", "W1");
  EXPECT_GT(before.sales_rate_milli_per_day, 0);
  reopen();
  EXPECT_EQ(position("A", "W1"), before);
}

}  // namespace
}  // namespace stockd

namespace stockd {
namespace {

class GroupTest : public testing::EngineFixture {
 protected:
  GroupResult reserve_group(std::vector<GroupLine> lines, int64_t units,
                            std::vector<std::string> locations = {"W1", "W2"}) {
    GroupReserveRequest request;
    request.label = "KIT";
    request.channel = "web";
    request.lines = std::move(lines);
    request.units = units;
    for (const std::string& location : locations) request.candidates.emplace_back(location);
    request.ttl = std::chrono::seconds{60};
    std::promise<GroupResult> promise;
    engine_->reserve_group(request, [&](GroupResult r) { promise.set_value(std::move(r)); });
    return promise.get_future().get();
  }
  GroupResult end_group(const std::string& id, ReservationState to, std::string order = "") {
    std::promise<GroupResult> promise;
    engine_->end_group(id, to, order, [&](GroupResult r) { promise.set_value(std::move(r)); });
    return promise.get_future().get();
  }
  // Two SKUs on different shards.
  std::string other_shard_sku() {
    std::string other = "B";
    for (int i = 0; Engine::slot_of(other) % 2 == Engine::slot_of("A") % 2; ++i) {
      other = "B" + std::to_string(i);
    }
    return other;
  }
};

TEST_F(GroupTest, AllComponentsAtOneLocationOrNone) {
  const std::string b = other_shard_sku();
  apply({receipt("a1", "A", 10, "W1"), receipt("b1", b, 1, "W1"), receipt("a2", "A", 10, "W2"),
         receipt("b2", b, 5, "W2")});
  // 2 kits of {1 A, 2 B}: W1 has too few B, W2 has all.
  const GroupResult held = reserve_group({{"A", 1}, {b, 2}}, 2);
  ASSERT_EQ(held.status, ReserveStatus::ok);
  EXPECT_EQ(held.group.location, "W2");
  ASSERT_EQ(held.group.members.size(), 2u);
  EXPECT_EQ(position("A", "W2").reserved, 2);
  EXPECT_EQ(position(b, "W2").reserved, 4);
  // Nothing fits now: nothing is held anywhere.
  const GroupResult refused = reserve_group({{"A", 1}, {b, 2}}, 1);
  EXPECT_EQ(refused.status, ReserveStatus::insufficient_stock);
  EXPECT_EQ(refused.available, 0);
  EXPECT_EQ(position("A", "W1").reserved, 0);
  EXPECT_EQ(position("A", "W2").reserved, 2);
  reopen();  // one durable write: both holds and the group survive together
  EXPECT_EQ(position(b, "W2").reserved, 4);
  const GroupResult committed = end_group(held.group.id, ReservationState::committed, "o-7");
  ASSERT_EQ(committed.status, ReserveStatus::ok);
  EXPECT_EQ(position("A", "W2").allocated, 2);
  EXPECT_EQ(position(b, "W2").allocated, 4);
  EXPECT_EQ(end_group(held.group.id, ReservationState::released).status,
            ReserveStatus::reservation_not_active);
  EXPECT_EQ(end_group("gnope", ReservationState::released).status,
            ReserveStatus::reservation_not_found);
}

TEST_F(GroupTest, LinesSharingAComponentAreSummedBeforeTheGuard) {
  apply(receipt("a1", "A", 3, "W1"));
  // Two lines of 2 A each: 4 > 3, so neither is held.
  EXPECT_EQ(reserve_group({{"A", 2}, {"A", 2}}, 1, {"W1"}).status,
            ReserveStatus::insufficient_stock);
  EXPECT_EQ(position("A", "W1").reserved, 0);
  EXPECT_EQ(reserve_group({{"A", 1}, {"A", 2}}, 1, {"W1"}).status, ReserveStatus::ok);
  EXPECT_EQ(position("A", "W1").reserved, 3);
}

TEST_F(GroupTest, GroupsRunBesideOrdinaryTrafficWithoutDeadlock) {
  const std::string b = other_shard_sku();
  apply({receipt("a1", "A", 1000, "W1"), receipt("b1", b, 1000, "W1")});
  std::vector<std::thread> threads;
  std::atomic<int> granted{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        if (t % 2 == 0) {
          if (reserve_group({{"A", 1}, {b, 1}}, 1, {"W1"}).status == ReserveStatus::ok) ++granted;
        } else {
          apply(receipt("x" + std::to_string(t) + "-" + std::to_string(i), "A", 1, "W1"));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(granted.load(), 50);
  EXPECT_EQ(position("A", "W1").reserved, 50);
  EXPECT_EQ(position(b, "W1").reserved, 50);
  EXPECT_TRUE(verify_positions(*store_).ok);
}

}  // namespace
}  // namespace stockd
