#include "core/routing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>

namespace stockd {
namespace {

RouteNode node(std::string id, int64_t cost, std::vector<int64_t> shippable,
               int64_t distance_m = 0) {
  RouteNode out;
  out.location = std::move(id);
  out.shipment_cost_cents = cost;
  out.distance_m = distance_m;
  out.shippable = std::move(shippable);
  return out;
}

// The reference: every subset of nodes, checked and ranked by the documented rule.
struct BruteBest {
  bool found = false;
  int64_t cost = 0;
  size_t shipments = 0;
  int64_t distance = 0;
  std::vector<size_t> nodes;
};
BruteBest brute_force(const std::vector<RouteDemand>& demands, const std::vector<RouteNode>& nodes,
                      const RoutePolicy& policy) {
  const size_t limit =
      policy.allow_partial ? (policy.max_shipments == 0 ? nodes.size() : policy.max_shipments) : 1;
  BruteBest best;
  for (uint32_t mask = 0; mask < (1U << nodes.size()); ++mask) {
    std::vector<size_t> set;
    bool has_fixed = true;
    for (size_t n = 0; n < nodes.size(); ++n) {
      if (mask & (1U << n))
        set.push_back(n);
      else if (nodes[n].fixed)
        has_fixed = false;
    }
    if (!has_fixed || set.size() > limit) continue;
    bool covers = true;
    for (size_t d = 0; d < demands.size(); ++d) {
      int64_t total = 0;
      for (size_t n : set) total += nodes[n].shippable[d];
      covers = covers && total >= demands[d].quantity;
    }
    if (!covers) continue;
    int64_t cost = 0, distance = 0;
    for (size_t n : set) cost += nodes[n].shipment_cost_cents, distance += nodes[n].distance_m;
    const auto key = std::make_tuple(cost, set.size(), distance, set);
    if (!best.found ||
        key < std::make_tuple(best.cost, best.shipments, best.distance, best.nodes)) {
      best = {true, cost, set.size(), distance, set};
    }
  }
  return best;
}

TEST(Routing, OneNodeCheapestThatHoldsEverything) {
  const std::vector<RouteDemand> demands{{"A", 2}, {"B", 1}};
  const std::vector<RouteNode> nodes{node("W1", 500, {2, 0}), node("W2", 900, {5, 5}),
                                     node("S1", 300, {1, 1})};
  const RoutePlan plan = plan_route(demands, nodes, {});
  ASSERT_TRUE(plan.found);
  EXPECT_EQ(plan.nodes, std::vector<size_t>{1});
  EXPECT_EQ(plan.cost_cents, 900);
  ASSERT_EQ(plan.allocations.size(), 2U);
  EXPECT_EQ(plan.allocations[0].quantity, 2);
}

TEST(Routing, SplitsOnlyWhenAllowedAndCheaper) {
  const std::vector<RouteDemand> demands{{"A", 2}, {"B", 1}};
  const std::vector<RouteNode> nodes{node("W1", 300, {2, 0}), node("W2", 900, {5, 5}),
                                     node("S1", 300, {0, 1})};
  RoutePolicy split;
  split.allow_partial = true;
  const RoutePlan plan = plan_route(demands, nodes, split);
  ASSERT_TRUE(plan.found);
  EXPECT_EQ(plan.nodes, (std::vector<size_t>{0, 2}));  // 600 < 900
  EXPECT_EQ(plan.cost_cents, 600);
  // Not allowed: the whole order from W2.
  EXPECT_EQ(plan_route(demands, nodes, {}).nodes, std::vector<size_t>{1});
  // Allowed but at most one shipment: the same.
  split.max_shipments = 1;
  EXPECT_EQ(plan_route(demands, nodes, split).nodes, std::vector<size_t>{1});
}

TEST(Routing, NoPlanExplainsWhatNodesCouldShip) {
  const std::vector<RouteDemand> demands{{"A", 3}};
  const std::vector<RouteNode> nodes{node("W1", 1, {2}), node("W2", 1, {2})};
  const RoutePlan single = plan_route(demands, nodes, {});
  EXPECT_FALSE(single.found);
  EXPECT_EQ(single.single_node_best, std::vector<int64_t>{2});
  EXPECT_EQ(single.all_nodes_total, std::vector<int64_t>{4});
  RoutePolicy split;
  split.allow_partial = true;
  const RoutePlan both = plan_route(demands, nodes, split);
  ASSERT_TRUE(both.found);
  EXPECT_EQ(both.nodes.size(), 2U);
  EXPECT_EQ(both.allocations[0].quantity + both.allocations[1].quantity, 3);
}

TEST(Routing, FixedNodesAreAlwaysInThePlanAndCarryOtherLinesForFree) {
  // A reservation ships from S1 anyway; B fits there too, so no second shipment.
  const std::vector<RouteDemand> demands{{"B", 1}};
  std::vector<RouteNode> nodes{node("W1", 100, {1}), node("S1", 700, {1})};
  nodes[1].fixed = true;
  const RoutePlan plan = plan_route(demands, nodes, {});
  ASSERT_TRUE(plan.found);
  EXPECT_EQ(plan.nodes, std::vector<size_t>{1});
  EXPECT_EQ(plan.cost_cents, 700);
}

TEST(Routing, TiesGoToFewerShipmentsThenShorterDistanceThenNodeOrder) {
  const std::vector<RouteDemand> demands{{"A", 2}};
  RoutePolicy split;
  split.allow_partial = true;
  // Same cost: one node of 600 or two of 300.
  std::vector<RouteNode> nodes{node("X", 300, {1}), node("Y", 300, {1}), node("Z", 600, {2})};
  EXPECT_EQ(plan_route(demands, nodes, split).nodes, std::vector<size_t>{2});
  // Same cost and count: the shorter distance.
  nodes = {node("X", 300, {2}, 9000), node("Y", 300, {2}, 4000)};
  EXPECT_EQ(plan_route(demands, nodes, split).nodes, std::vector<size_t>{1});
  // Everything equal: the first node.
  nodes = {node("X", 300, {2}, 4000), node("Y", 300, {2}, 4000)};
  EXPECT_EQ(plan_route(demands, nodes, split).nodes, std::vector<size_t>{0});
}

TEST(Routing, MatchesBruteForceOnRandomSmallCases) {
  std::mt19937_64 random(20261128);
  int with_plan = 0;
  for (int round = 0; round < 3000; ++round) {
    const size_t demand_count = 1 + random() % 3;
    const size_t node_count = 1 + random() % 9;
    std::vector<RouteDemand> demands;
    for (size_t d = 0; d < demand_count; ++d) {
      demands.push_back({"SKU-" + std::to_string(d), static_cast<int64_t>(1 + random() % 6)});
    }
    std::vector<RouteNode> nodes;
    for (size_t n = 0; n < node_count; ++n) {
      std::vector<int64_t> shippable;
      for (size_t d = 0; d < demand_count; ++d) shippable.push_back(random() % 5);
      nodes.push_back(node("N" + std::to_string(n), static_cast<int64_t>(random() % 8) * 100,
                           std::move(shippable), static_cast<int64_t>(random() % 4) * 1000));
      nodes.back().fixed = random() % 10 == 0;
    }
    RoutePolicy policy;
    policy.allow_partial = random() % 3 != 0;
    policy.max_shipments = random() % 4;  // 0 = no limit
    const RoutePlan plan = plan_route(demands, nodes, policy);
    const BruteBest best = brute_force(demands, nodes, policy);
    ASSERT_EQ(plan.found, best.found) << "round " << round;
    if (!best.found) continue;
    ++with_plan;
    ASSERT_TRUE(plan.optimal);
    ASSERT_EQ(plan.cost_cents, best.cost) << "round " << round;
    ASSERT_EQ(plan.nodes.size(), best.shipments) << "round " << round;
    ASSERT_EQ(plan.distance_m, best.distance) << "round " << round;
    ASSERT_EQ(plan.nodes, best.nodes) << "round " << round;
    // The allocations ship exactly what was asked, from plan nodes, within what each may ship.
    std::vector<int64_t> shipped(demand_count, 0);
    for (const RouteAllocation& allocation : plan.allocations) {
      ASSERT_GT(allocation.quantity, 0);
      ASSERT_LE(allocation.quantity, nodes[allocation.node].shippable[allocation.demand]);
      ASSERT_TRUE(std::find(plan.nodes.begin(), plan.nodes.end(), allocation.node) !=
                  plan.nodes.end());
      shipped[allocation.demand] += allocation.quantity;
    }
    for (size_t d = 0; d < demand_count; ++d) ASSERT_EQ(shipped[d], demands[d].quantity);
  }
  EXPECT_GT(with_plan, 1000);  // the generator exercises plans, not only refusals
}

TEST(Routing, SameInputSamePlan) {
  std::vector<RouteNode> nodes;
  for (int n = 0; n < 50; ++n) {
    nodes.push_back(
        node("N" + std::to_string(n), 400 + (n * 37) % 300, {n % 3, n % 4, n % 5}, n * 1000));
  }
  RoutePolicy policy;
  policy.allow_partial = true;
  policy.max_shipments = 3;
  const std::vector<RouteDemand> demands{{"A", 4}, {"B", 5}, {"C", 6}};
  const RoutePlan first = plan_route(demands, nodes, policy);
  ASSERT_TRUE(first.found);
  EXPECT_TRUE(first.optimal);
  for (int i = 0; i < 5; ++i) {
    const RoutePlan again = plan_route(demands, nodes, policy);
    EXPECT_EQ(again.nodes, first.nodes);
    EXPECT_EQ(again.cost_cents, first.cost_cents);
  }
}

TEST(Routing, BudgetExhaustedStillAnswersWithTheBestFound) {
  std::vector<RouteNode> nodes;
  for (int n = 0; n < 40; ++n) nodes.push_back(node("N" + std::to_string(n), 100 + n, {1}));
  RoutePolicy policy;
  policy.allow_partial = true;
  policy.search_steps_max = 50;
  const RoutePlan plan = plan_route({{"A", 20}}, nodes, policy);
  ASSERT_TRUE(plan.found);  // the greedy plan
  EXPECT_FALSE(plan.optimal);
  EXPECT_EQ(plan.nodes.size(), 20U);
}

TEST(Routing, DeliveryWindowGrowsWithDistanceAndHandling) {
  const Timestamp now = timestamp_from_micros(1'000'000);
  const auto day = std::chrono::hours{24};
  EXPECT_EQ(delivery_window(now, 1, 10).from, now + 2 * day);
  EXPECT_EQ(delivery_window(now, 1, 10).to, now + 4 * day);
  EXPECT_EQ(delivery_window(now, 0, 1300).from, now + 3 * day);
  EXPECT_EQ(shipment_cost_cents(450, 12.4, 2), 475);
}

TEST(ReturnsRouting, ResellableGoesWhereItSellsSoonest) {
  const std::vector<ReturnCandidate> candidates{
      {"W1", 300, true, 200, 10},  // 20.1 days
      {"S1", 5, false, 1, 2},      // 1 day: short and selling
      {"S2", 2, false, 0, 0},      // no sales: last
      {"S3", 900, false, 0, 50},   // out of reach
  };
  const auto ranked = rank_return_nodes(candidates, ReturnCondition::resellable, 500);
  ASSERT_EQ(ranked.size(), 3U);
  EXPECT_EQ(candidates[ranked[0].candidate].location, "S1");
  EXPECT_DOUBLE_EQ(ranked[0].days_to_sell, 1.0);
  EXPECT_EQ(ranked[0].shortfall, 27);  // 2/day × 14 days − 1
  EXPECT_EQ(candidates[ranked[1].candidate].location, "W1");
  EXPECT_EQ(candidates[ranked[2].candidate].location, "S2");
}

TEST(ReturnsRouting, DamagedGoesToTheClosestNodeThatTakesIt) {
  const std::vector<ReturnCandidate> candidates{
      {"W1", 300, true, 0, 0}, {"S1", 5, false, 0, 9}, {"W2", 120, true, 0, 0}};
  const auto ranked = rank_return_nodes(candidates, ReturnCondition::damaged, 1000);
  ASSERT_EQ(ranked.size(), 2U);
  EXPECT_EQ(candidates[ranked[0].candidate].location, "W2");
  EXPECT_TRUE(rank_return_nodes(candidates, ReturnCondition::needs_inspection, 100).empty());
}

}  // namespace
}  // namespace stockd
