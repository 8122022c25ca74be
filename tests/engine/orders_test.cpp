// Orders on a real engine and RocksDB: routing over the live positions, all or nothing
// across shards, cancellations and shipments closing allocations, re-routes, delivery,
// and everything surviving a restart.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "core/availability.hpp"
#include "crash/power_loss_fs.hpp"
#include "engine/audit.hpp"
#include "engine/engine_fixture.hpp"

namespace stockd {
namespace {

class OrdersTest : public testing::EngineFixture {
 protected:
  void SetUp() override {
    EngineFixture::SetUp();
    // Three nodes around Berlin: a cheap far DC, a pricier near DC, a store with a
    // protected minimum and a 50 km ship-from-store radius.
    put_node("W1", LocationType::warehouse, 51.34, 12.37, 300, 0, 0);  // Leipzig, ~150 km
    put_node("W2", LocationType::warehouse, 52.40, 13.06, 700, 0, 0);  // Potsdam, ~27 km
    put_node("S1", LocationType::store, 52.52, 13.40, 200, 2, 50);     // Berlin Mitte
    Channel web;
    web.id = "web";
    web.locations = {{"W1", 1}, {"W2", 2}, {"S1", 3}};
    ASSERT_TRUE(engine_->put_channel(web).ok());
  }
  void put_node(const std::string& id, LocationType type, double lat, double lon, int64_t cost,
                int64_t protected_min, int64_t radius_km) {
    Location location;
    location.id = id;
    location.type = type;
    location.lat = lat;
    location.lon = lon;
    location.ship_cost_cents = cost;
    location.protected_min = protected_min;
    location.ship_radius_km = radius_km;
    ASSERT_TRUE(engine_->put_location(location).ok());
  }
  OrderRequest request(const std::string& id, std::vector<OrderLine> lines, bool allow_partial,
                       uint32_t max_shipments = 0, double lat = 52.52, double lon = 13.40) {
    OrderRequest out;
    out.order.id = id;
    out.order.channel = "web";
    out.order.lines = std::move(lines);
    out.order.allow_partial = allow_partial;
    out.order.max_shipments = max_shipments;
    out.order.ship_to_lat = lat;
    out.order.ship_to_lon = lon;
    out.order.fingerprint = sha256(id, std::to_string(out.order.lines.size()));
    const Channel& web = *engine_->catalog()->find_channel("web");
    for (const ChannelLocation& member : pool_in_order(web)) {
      out.candidates.emplace_back(
          member.id, sellable_rule(web, *engine_->catalog()->find_location(member.id)));
    }
    out.cents_per_km = 2;
    return out;
  }
  template <typename Call>
  OrderResult wait(Call call) {
    std::promise<OrderResult> promise;
    call([&](OrderResult r) { promise.set_value(std::move(r)); });
    return promise.get_future().get();
  }
  OrderResult place(OrderRequest r) {
    return wait([&](auto done) { engine_->place_order(std::move(r), done); });
  }
  OrderResult cancel(const std::string& id, const std::string& reason = "customer_request") {
    return wait([&](auto done) { engine_->cancel_order(id, reason, done); });
  }
  OrderResult get(const std::string& id) {
    return wait([&](auto done) { engine_->get_order(id, done); });
  }
  Event ship(const std::string& order, const std::string& sku, const std::string& location,
             int64_t quantity) {
    Event e = testing::event(EventType::shipment, quantity, "2026-11-27T10:04:00Z", "oms");
    e.sku = sku;
    e.location = location;
    e.reference = order;
    return e;
  }
  std::string other_shard_sku() {
    std::string other = "B";
    for (int i = 0; Engine::slot_of(other) % 2 == Engine::slot_of("A") % 2; ++i) {
      other = "B" + std::to_string(i);
    }
    return other;
  }
};

// The coordinator's merged writes (orders, group holds) on a disk that fails: like a
// shard's, the write is retried (the store reopened when RocksDB will not resume) and
// nothing is answered until it is durable; the process does not stop.
class OrdersOnAFailingDiskTest : public OrdersTest {
 protected:
  void SetUp() override {
    fs_ = std::make_shared<testing::PowerLossFs>(rocksdb::FileSystem::Default());
    env_owner_ = rocksdb::NewCompositeEnv(fs_);
    env_ = env_owner_.get();
    OrdersTest::SetUp();
  }
  std::shared_ptr<testing::PowerLossFs> fs_;
  std::unique_ptr<rocksdb::Env> env_owner_;  // outlives the store (closed in TearDown)
};

TEST_F(OrdersOnAFailingDiskTest, AnOrderIsAnsweredOnceDurableAndSurvivesARestart) {
  apply({receipt("a1", "A", 10, "W1"), receipt("a2", "A", 10, "W2")});
  fs_->fail_next_syncs(2);
  const OrderResult placed = place(request("o-1", {{"A", 3, ""}}, false));
  ASSERT_EQ(placed.status, OrderStatus::ok) << placed.detail;
  EXPECT_EQ(fs_->sync_failures(), 2);
  EXPECT_GE(store_->reopens(), 1u);
  EXPECT_GE(engine_->storage_write_failures(), 1u);
  EXPECT_FALSE(engine_->storage_degraded());
  reopen();
  EXPECT_EQ(get("o-1").status, OrderStatus::ok);
  EXPECT_EQ(position("A", "W1").allocated, 3);
}

TEST_F(OrdersTest, TheCheapestNodeShipsAndStockMovesToAllocated) {
  apply({receipt("a1", "A", 10, "W1"), receipt("a2", "A", 10, "W2")});
  const OrderResult placed = place(request("o-1", {{"A", 3, ""}}, false));
  ASSERT_EQ(placed.status, OrderStatus::ok) << placed.detail;
  // W1: 300 + ~150 km × 2 ≈ 600 cents; W2: 700 + ~27 km × 2 ≈ 754 cents.
  ASSERT_EQ(placed.order.shipments.size(), 1u);
  EXPECT_EQ(placed.order.shipments[0].location, "W1");
  EXPECT_EQ(placed.order.cost_cents, placed.order.shipments[0].cost_cents);
  EXPECT_GT(placed.order.promise_to, placed.order.promise_from);
  EXPECT_EQ(position("A", "W1").allocated, 3);
  EXPECT_EQ(position("A", "W1").reserved, 0);
  ASSERT_EQ(placed.progress.size(), 1u);
  EXPECT_EQ(placed.progress[0].open(), 3);
  // Every candidate has a verdict.
  ASSERT_EQ(placed.considered.size(), 3u);
  EXPECT_EQ(placed.considered[0].verdict, "shipping");
  EXPECT_EQ(placed.considered[1].verdict, "cheaper_plan");
  EXPECT_EQ(placed.considered[2].verdict, "nothing_to_ship");
}

TEST_F(OrdersTest, ProtectedStoreUnitsAndTheRadiusAreRespected) {
  apply({receipt("s1", "A", 3, "S1")});
  // The store has 3 but keeps 2 back: one unit may ship, two may not.
  EXPECT_EQ(place(request("o-1", {{"A", 2, ""}}, false)).status, OrderStatus::no_route);
  EXPECT_EQ(position("A", "S1").allocated, 0);
  const OrderResult one = place(request("o-2", {{"A", 1, ""}}, false));
  ASSERT_EQ(one.status, OrderStatus::ok);
  EXPECT_EQ(one.order.shipments[0].location, "S1");
  // A shopper in Munich is beyond the store's 50 km radius.
  apply({receipt("s2", "A", 5, "S1")});
  const OrderResult far = place(request("o-3", {{"A", 1, ""}}, false, 0, 48.14, 11.58));
  EXPECT_EQ(far.status, OrderStatus::no_route);
  EXPECT_EQ(far.considered[2].verdict, "out_of_radius");
}

TEST_F(OrdersTest, SplitsOnlyWhenAllowedAndWithinMaxShipments) {
  const std::string b = other_shard_sku();
  apply({receipt("a1", "A", 2, "W1"), receipt("b2", b, 2, "W2")});
  // No single node has both: refused when it may not split, nothing held.
  const OrderResult whole = place(request("o-1", {{"A", 1, ""}, {b, 1, ""}}, false));
  EXPECT_EQ(whole.status, OrderStatus::no_route);
  EXPECT_FALSE(whole.detail.empty());
  EXPECT_EQ(position("A", "W1").allocated + position(b, "W2").allocated, 0);
  EXPECT_EQ(place(request("o-2", {{"A", 1, ""}, {b, 1, ""}}, true, 1)).status,
            OrderStatus::no_route);
  const OrderResult split = place(request("o-3", {{"A", 1, ""}, {b, 1, ""}}, true, 2));
  ASSERT_EQ(split.status, OrderStatus::ok);
  EXPECT_EQ(split.order.shipments.size(), 2u);
  EXPECT_EQ(position("A", "W1").allocated, 1);
  EXPECT_EQ(position(b, "W2").allocated, 1);
}

TEST_F(OrdersTest, ReservedLinesShipFromTheirHoldAndOthersJoinThatShipment) {
  apply({receipt("a1", "A", 5, "W2"), receipt("c1", "C", 5, "W1"), receipt("c2", "C", 5, "W2")});
  const ReserveResult held = reserve("A", 2, {"W2"});
  ASSERT_EQ(held.status, ReserveStatus::ok);
  // C alone would ship from W1 (cheaper), but W2 ships anyway for the reserved A.
  const OrderResult placed =
      place(request("o-1", {{"A", 2, held.reservation.id}, {"C", 1, ""}}, true));
  ASSERT_EQ(placed.status, OrderStatus::ok) << placed.detail;
  ASSERT_EQ(placed.order.shipments.size(), 1u);
  EXPECT_EQ(placed.order.shipments[0].location, "W2");
  EXPECT_EQ(position("A", "W2").reserved, 0);
  EXPECT_EQ(position("A", "W2").allocated, 2);
  EXPECT_EQ(position("C", "W2").allocated, 1);
  // The hold is now committed: a second order naming it is refused.
  EXPECT_EQ(place(request("o-2", {{"A", 2, held.reservation.id}}, true)).status,
            OrderStatus::reservation_not_active);
  EXPECT_EQ(place(request("o-3", {{"A", 2, "r0000-0000000000000001"}}, true)).status,
            OrderStatus::reservation_not_found);
  const ReserveResult other = reserve("A", 1, {"W2"});
  EXPECT_EQ(place(request("o-4", {{"A", 2, other.reservation.id}}, true)).status,
            OrderStatus::reservation_mismatch);
  EXPECT_EQ(position("A", "W2").reserved, 1);  // the refused order left the hold alone
}

TEST_F(OrdersTest, TheSameOrderIdReplaysAndAnotherBodyIsRefused) {
  apply({receipt("a1", "A", 10, "W1")});
  ASSERT_EQ(place(request("o-1", {{"A", 3, ""}}, false)).status, OrderStatus::ok);
  const OrderResult again = place(request("o-1", {{"A", 3, ""}}, false));
  EXPECT_EQ(again.status, OrderStatus::ok);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(position("A", "W1").allocated, 3);
  OrderRequest changed = request("o-1", {{"A", 4, ""}, {"A", 1, ""}}, false);
  EXPECT_EQ(place(changed).status, OrderStatus::order_exists);
}

TEST_F(OrdersTest, ShipmentsCloseAllocationsAndCancelReturnsTheRest) {
  const std::string b = other_shard_sku();
  apply({receipt("a1", "A", 10, "W1"), receipt("b1", b, 10, "W1")});
  ASSERT_EQ(place(request("o-1", {{"A", 3, ""}, {b, 2, ""}}, false)).status, OrderStatus::ok);
  apply(ship("o-1", "A", "W1", 3));
  OrderResult now = get("o-1");
  EXPECT_EQ(now.open_units(), 2);
  EXPECT_EQ(now.shipped_units(), 3);
  EXPECT_EQ(order_state_name(now.order, now.open_units(), now.shipped_units()),
            "partially_shipped");
  EXPECT_EQ(position("A", "W1").allocated, 0);
  EXPECT_EQ(position("A", "W1").on_hand, 7);

  const OrderResult cancelled = cancel("o-1", "address_failure");
  ASSERT_EQ(cancelled.status, OrderStatus::ok);
  EXPECT_EQ(cancelled.open_units(), 0);
  EXPECT_EQ(cancelled.order.cancel_reason, "address_failure");
  EXPECT_EQ(position(b, "W1").allocated, 0);
  EXPECT_EQ(position(b, "W1").on_hand, 10);  // stock is available again
  EXPECT_EQ(cancel("o-1").status, OrderStatus::order_closed);
  EXPECT_EQ(cancel("nope").status, OrderStatus::order_not_found);
  EXPECT_TRUE(verify_positions(*store_).ok);

  // Survives a restart; the shipped order can be delivered.
  reopen();
  now = get("o-1");
  EXPECT_EQ(now.shipped_units(), 3);
  EXPECT_EQ(now.open_units(), 0);
  const Timestamp delivered = clock_.now() + std::chrono::hours{30};
  const OrderResult done = wait([&](auto d) { engine_->mark_delivered("o-1", delivered, d); });
  ASSERT_EQ(done.status, OrderStatus::ok);
  EXPECT_EQ(get("o-1").order.delivered_at, delivered);
  EXPECT_EQ(wait([&](auto d) {
              engine_->mark_delivered("o-1", delivered + std::chrono::hours{1}, d);
            }).status,
            OrderStatus::already_delivered);
}

TEST_F(OrdersTest, OpenAllocationsSurviveARestartAndStillCloseOnShipment) {
  apply({receipt("a1", "A", 10, "W1")});
  ASSERT_EQ(place(request("o-1", {{"A", 4, ""}}, false)).status, OrderStatus::ok);
  reopen();
  apply(ship("o-1", "A", "W1", 1));
  reopen();
  EXPECT_EQ(get("o-1").open_units(), 3);
  // A shipment naming no order of ours changes positions but no order.
  apply(ship("elsewhere", "A", "W1", 1));
  EXPECT_EQ(get("o-1").open_units(), 3);
  const OrderResult undelivered = wait(
      [&](auto d) { engine_->mark_delivered("o-1", clock_.now() - std::chrono::hours{1}, d); });
  EXPECT_EQ(undelivered.status, OrderStatus::invalid_order);  // before it was placed
}

TEST_F(OrdersTest, RerouteMovesOpenUnitsAwayFromANodeAndCountsAnIntervention) {
  apply({receipt("a1", "A", 10, "W1"), receipt("a2", "A", 10, "W2")});
  ASSERT_EQ(place(request("o-1", {{"A", 3, ""}}, false)).status, OrderStatus::ok);
  OrderRequest candidates = request("o-1", {}, false);
  const OrderResult moved = wait([&](auto done) {
    engine_->reroute_order("o-1", {"W1"}, "damaged_discovery", candidates, done);
  });
  ASSERT_EQ(moved.status, OrderStatus::ok) << moved.detail;
  EXPECT_EQ(moved.order.interventions, 1u);
  ASSERT_EQ(moved.order.shipments.size(), 1u);
  EXPECT_EQ(moved.order.shipments[0].location, "W2");
  EXPECT_EQ(position("A", "W1").allocated, 0);
  EXPECT_EQ(position("A", "W2").allocated, 3);
  const OrderResult now = get("o-1");
  EXPECT_EQ(now.open_units(), 3);
  // W1 sold out meanwhile: nowhere left to go, refused, nothing changes.
  Event sale = testing::event(EventType::sale, 10, "2026-11-27T10:04:00Z", "pos");
  sale.sku = "A";
  apply(sale);
  const OrderResult stuck = wait([&](auto done) {
    engine_->reroute_order("o-1", {"W2"}, "damaged_discovery", request("o-1", {}, false), done);
  });
  EXPECT_EQ(stuck.status, OrderStatus::no_route);
  EXPECT_EQ(position("A", "W2").allocated, 3);
  EXPECT_EQ(get("o-1").order.interventions, 1u);
}

TEST_F(OrdersTest, TheSameIdPlacedAtOnceAllocatesOnceAndReplaysTheRest) {
  apply({receipt("a1", "A", 100, "W1")});
  std::vector<std::promise<OrderResult>> answers(12);
  for (size_t i = 0; i < answers.size(); ++i) {
    // Queued together, so they land in one coordinator group.
    engine_->place_order(request("dup", {{"A", 2, ""}}, false),
                         [&answers, i](OrderResult r) { answers[i].set_value(std::move(r)); });
  }
  int placed = 0, replayed = 0;
  for (auto& answer : answers) {
    const OrderResult r = answer.get_future().get();
    ASSERT_EQ(r.status, OrderStatus::ok);
    (r.replayed ? replayed : placed)++;
  }
  EXPECT_EQ(placed, 1);
  EXPECT_EQ(replayed, 11);
  EXPECT_EQ(position("A", "W1").allocated, 2);
}

TEST_F(OrdersTest, AllOrNothingAcrossShardsUnderConcurrency) {
  const std::string b = other_shard_sku();
  // 30 of A and 20 of B: orders need one of each, so exactly 20 can be placed.
  apply({receipt("a1", "A", 30, "W1"), receipt("b1", b, 20, "W1")});
  std::atomic<int> placed{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string id = "o-" + std::to_string(t) + "-" + std::to_string(i);
        const OrderResult r = place(request(id, {{"A", 1, ""}, {b, 1, ""}}, false));
        (r.status == OrderStatus::ok ? placed : refused)++;
        // Ordinary traffic on the same SKUs meanwhile.
        apply(receipt("x-" + id, "C", 1, "W1"));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(placed.load(), 20);
  EXPECT_EQ(refused.load(), 20);
  EXPECT_EQ(position("A", "W1").allocated, 20);  // never a line without its partner
  EXPECT_EQ(position(b, "W1").allocated, 20);
  EXPECT_EQ(position("A", "W1").reserved + position(b, "W1").reserved, 0);
  EXPECT_TRUE(verify_positions(*store_).ok);
}

}  // namespace
}  // namespace stockd
