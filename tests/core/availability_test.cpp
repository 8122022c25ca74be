#include "core/availability.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "core/event_rules.hpp"
#include "core/test_support.hpp"
#include "core/velocity.hpp"

namespace stockd {
namespace {

using testing::at;

const Timestamp kNow = at("2026-11-27T12:00:00Z");

Position stocked(int64_t on_hand) {
  Position p;
  p.on_hand = on_hand;
  p.version = 1;
  return p;
}

TEST(Buffers, StaticUnits) {
  SellableRule rule;
  rule.buffer_units = 2;
  EXPECT_EQ(sellable(stocked(10), rule, kNow), 8);
  EXPECT_EQ(sellable(stocked(2), rule, kNow), 0);
  EXPECT_EQ(buffer_for(stocked(0), rule, kNow).applied, 0);  // nothing to hold back
}

TEST(Buffers, PercentOfAvailableRoundsUp) {
  SellableRule rule;
  rule.buffer_percent = 10;
  EXPECT_EQ(buffer_for(stocked(15), rule, kNow).percent_units, 2);
  EXPECT_EQ(sellable(stocked(15), rule, kNow), 13);
}

TEST(Buffers, DynamicIsExpectedSalesDuringTheSyncLatency) {
  Position p = stocked(100);
  // 70 units sold at once now: 10 units/day with tau = 7 days.
  record_sale(p, 70, kNow);
  EXPECT_NEAR(sales_rate_per_day(p, kNow), 10.0, 0.01);
  SellableRule marketplace;
  marketplace.buffer_units = 1;
  marketplace.sync_latency_seconds = 6 * 3600;  // a quarter of a day: 2.5 units
  const BufferBreakdown buffer = buffer_for(p, marketplace, kNow);
  EXPECT_EQ(buffer.dynamic_units, 3);  // 2.5 rounds half up
  EXPECT_EQ(buffer.applied, 3);
  SellableRule first_party = marketplace;
  first_party.sync_latency_seconds = 60;
  EXPECT_EQ(buffer_for(p, first_party, kNow).dynamic_units, 0);
  EXPECT_EQ(buffer_for(p, first_party, kNow).applied, 1);  // never below the static floor
}

TEST(Velocity, DecaysWithTimeAndTakesLateSales) {
  Position p;
  record_sale(p, 7, kNow);
  const double fresh = sales_rate_per_day(p, kNow);
  EXPECT_NEAR(sales_rate_per_day(p, kNow + std::chrono::hours{24 * 7}), fresh / std::exp(1.0),
              0.01);
  record_sale(p, 7, kNow - std::chrono::hours{24 * 7});  // arrives late
  EXPECT_NEAR(sales_rate_per_day(p, kNow), fresh * (1 + 1 / std::exp(1.0)), 0.01);
  EXPECT_EQ(p.sales_rate_at, kNow);
}

TEST(Velocity, SalesAndShipmentsFeedIt) {
  Catalog catalog = testing::test_catalog();
  Position p = stocked(100);
  p.allocated = 10;
  for (const EventType type : {EventType::sale, EventType::shipment, EventType::receipt}) {
    Event e = testing::event(type, 7, "2026-11-27T12:00:00Z");
    const EventDecision decision = decide_event(e, 100, p, Position{}, kNow, RuleOptions{});
    apply_event(e, 100, decision, p, nullptr);
  }
  EXPECT_NEAR(sales_rate_per_day(p, kNow), 2.0, 0.01);  // 14 units / 7 days
}

Catalog shop() {
  Catalog catalog;
  Location w1{"W1", LocationType::warehouse, "DC", 52.5, 13.4};
  Location s1{"S1", LocationType::store, "Berlin", 52.52, 13.40};
  s1.protected_min = 2;
  s1.count_sla_hours = 24;
  Location s2{"S2", LocationType::store, "Munich", 48.14, 11.58};
  catalog.put(w1);
  catalog.put(s1);
  catalog.put(s2);
  return catalog;
}

Channel web() {
  Channel channel;
  channel.id = "web";
  channel.locations = {{"S1", 2}, {"W1", 1}, {"S2", 2}};
  channel.buffer_units = 1;
  channel.pickup = true;
  return channel;
}

ChannelAvailability run(const Channel& channel, const std::map<std::string, Position>& positions,
                        AvailabilityRequest request = {}) {
  const Catalog catalog = shop();
  request.now = kNow;
  return channel_availability(
      channel, catalog,
      [&](std::string_view location) -> const Position* {
        const auto it = positions.find(std::string(location));
        return it == positions.end() ? nullptr : &it->second;
      },
      request);
}

TEST(ChannelAvailability, PoolOrderBufferProtectionAndReasons) {
  Position counted_store = stocked(3);
  counted_store.last_count_at = kNow - std::chrono::hours{1};
  const ChannelAvailability result =
      run(web(), {{"W1", stocked(10)}, {"S1", counted_store}, {"S2", stocked(1)}});
  ASSERT_EQ(result.locations.size(), 3u);
  EXPECT_EQ(result.locations[0].location, "W1");  // priority 1 first, then listed order
  EXPECT_EQ(result.locations[1].location, "S1");
  EXPECT_EQ(result.locations[2].location, "S2");
  EXPECT_EQ(result.locations[0].sellable_units, 9);
  EXPECT_EQ(result.locations[0].reason, LocationReason::contributes);
  EXPECT_EQ(result.locations[1].sellable_units, 0);  // 3 - 1 buffer - 2 protected
  EXPECT_EQ(result.locations[1].reason, LocationReason::protected_stock);
  EXPECT_EQ(result.locations[2].reason, LocationReason::below_buffer);
  EXPECT_EQ(result.total, 9);
}

TEST(ChannelAvailability, NoStockAndNotInPool) {
  AvailabilityRequest request;
  request.only_location = "ELSEWHERE";
  const ChannelAvailability result = run(web(), {}, request);
  ASSERT_EQ(result.locations.size(), 1u);
  EXPECT_EQ(result.locations[0].reason, LocationReason::not_in_pool);
  const ChannelAvailability empty = run(web(), {});
  EXPECT_EQ(empty.locations[0].reason, LocationReason::no_stock);
}

TEST(Pickup, OfferedOnlyWhenBothSignalsAgree) {
  const Catalog catalog = shop();
  const Location& s1 = *catalog.find_location("S1");
  Position p = stocked(3);
  p.last_count_at = kNow - std::chrono::hours{1};
  // Own pickup: protected units count; 3 - 1 buffer = 2 covers 2.
  PickupCheck check = check_pickup(web(), s1, p, 2, kNow);
  EXPECT_TRUE(check.eligible);
  EXPECT_TRUE(check.on_hand_covers);
  EXPECT_TRUE(check.count_fresh);
  check = check_pickup(web(), s1, p, 3, kNow);
  EXPECT_FALSE(check.eligible);
  EXPECT_EQ(check.reason, PickupReason::insufficient_on_hand);
  p.last_count_at = kNow - std::chrono::hours{25};
  check = check_pickup(web(), s1, p, 1, kNow);
  EXPECT_FALSE(check.eligible);
  EXPECT_TRUE(check.on_hand_covers);
  EXPECT_FALSE(check.count_fresh);
  EXPECT_EQ(check.reason, PickupReason::count_stale);
  p.last_count_at = Timestamp{};
  EXPECT_EQ(check_pickup(web(), s1, p, 1, kNow).reason, PickupReason::never_counted);
  Channel no_pickup = web();
  no_pickup.pickup = false;
  EXPECT_EQ(check_pickup(no_pickup, s1, p, 1, kNow).reason, PickupReason::not_offered);
  EXPECT_EQ(check_pickup(web(), *catalog.find_location("W1"), p, 1, kNow).reason,
            PickupReason::not_a_store);
}

TEST(Pickup, APickupRuleSellsNothingOnAStaleCount) {
  const Catalog catalog = shop();
  const SellableRule rule = sellable_rule(web(), *catalog.find_location("S1"), Fulfilment::pickup);
  EXPECT_EQ(rule.protected_units, 0);
  Position p = stocked(5);
  EXPECT_EQ(sellable(p, rule, kNow), 0);  // never counted
  p.last_count_at = kNow - std::chrono::hours{2};
  EXPECT_EQ(sellable(p, rule, kNow), 4);
}

TEST(Radius, StoresBeyondItShipNothing) {
  AvailabilityRequest request;
  request.shopper = GeoPoint{52.52, 13.40};  // Berlin
  request.radius_km = 50;
  Position counted = stocked(10);
  const ChannelAvailability result =
      run(web(), {{"W1", stocked(10)}, {"S1", counted}, {"S2", stocked(10)}}, request);
  EXPECT_EQ(result.locations[1].reason, LocationReason::contributes);  // Berlin store
  EXPECT_LT(*result.locations[1].distance_km, 1.0);
  EXPECT_EQ(result.locations[2].reason, LocationReason::out_of_radius);  // Munich, ~500 km
  EXPECT_NEAR(*result.locations[2].distance_km, 504, 10);
  EXPECT_EQ(result.locations[2].sellable_units, 0);
  EXPECT_EQ(result.locations[0].reason, LocationReason::contributes);  // warehouses ship anyway
}

TEST(Radius, HaversineKnownDistance) {
  EXPECT_NEAR(distance_km({52.52, 13.40}, {48.14, 11.58}), 504, 5);  // Berlin-Munich
  EXPECT_NEAR(distance_km({0, 0}, {0, 0}), 0, 1e-9);
}

}  // namespace
}  // namespace stockd
