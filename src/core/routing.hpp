// Order routing (which nodes ship an order) and returns routing (where a returned unit
// should go). Pure: the caller passes what each node may ship and what it costs.
//
// An order plan is a set of shipping nodes S. Its cost is the sum over S of each node's
// shipment cost (the node's ship_cost plus a per-km rate times its distance to the
// shopper), so splitting costs one more shipment. The plan is the cheapest S that
// covers every SKU from what S's nodes may ship, with at most `max_shipments` nodes
// (1 when the order may not be split), containing every node a reservation already
// fixed. Ties go to fewer shipments, then the shorter total distance, then the node
// ids in order, so the same input always gives the same plan. Within S each SKU is
// taken from the cheapest nodes first.
//
// The search is exact (branch and bound over nodes ordered by cost, pruned by cost and
// by what the remaining nodes could still cover) within a budget of search steps; past
// it the best plan found so far is returned with `optimal = false`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "core/availability.hpp"

namespace stockd {

// One SKU the order needs, summed over its lines that are not covered by reservations.
struct RouteDemand {
  std::string sku;
  int64_t quantity = 0;
};

struct RouteNode {
  std::string location;
  int64_t shipment_cost_cents = 0;  // per shipment from this node to this shopper
  int64_t distance_m = 0;           // to the shopper
  std::vector<int64_t> shippable;   // per demand: units this node may ship (>= 0)
  bool fixed = false;               // a reservation already ships from here
};

struct RoutePolicy {
  bool allow_partial = false;  // the order may be split into several shipments
  size_t max_shipments = 0;    // with allow_partial: at most this many nodes; 0 = no limit
  uint64_t search_steps_max = 200'000;
};

struct RouteAllocation {
  size_t demand = 0;  // index into the demands
  size_t node = 0;    // index into the nodes
  int64_t quantity = 0;
};

struct RoutePlan {
  bool found = false;
  bool optimal = true;                       // false when the search budget ran out
  std::vector<size_t> nodes;                 // the shipping nodes, by index, in node order
  std::vector<RouteAllocation> allocations;  // by demand, then the cheapest node first
  int64_t cost_cents = 0;
  int64_t distance_m = 0;  // summed over the shipping nodes
  uint64_t search_steps = 0;
  // Without a plan: how many units of each demand the best single node and all eligible
  // nodes together could ship (for the explanation).
  std::vector<int64_t> single_node_best;
  std::vector<int64_t> all_nodes_total;
};

RoutePlan plan_route(const std::vector<RouteDemand>& demands, const std::vector<RouteNode>& nodes,
                     const RoutePolicy& policy);

// The cost of shipping from a node `distance_km` away: its ship cost plus the per-km rate,
// rounded to the nearest cent.
int64_t shipment_cost_cents(int64_t ship_cost_cents, double distance_km, int64_t cents_per_km);

// When a parcel from a node arrives: it leaves after `handling_days`, then travels one
// day per started 600 km (at least one day); the window is two days wide.
struct DeliveryWindow {
  Timestamp from{};
  Timestamp to{};
};
DeliveryWindow delivery_window(Timestamp now, int64_t handling_days, double distance_km);

// Returns routing. A resellable unit goes to the reachable node that would sell it
// soonest: the fewest expected days to sell one more unit there ((available + 1) /
// sales per day), so a node short of stock with a high velocity wins; ties go to the
// closer node. Dormant nodes (no demand for 30 days; core/forecast.hpp) rank after every
// other: a fading velocity is not demand. A damaged unit, or one that needs inspection, goes to the
// closest node that accepts damaged goods.
enum class ReturnCondition : uint8_t { resellable = 1, damaged = 2, needs_inspection = 3 };

struct ReturnCandidate {
  std::string location;
  double distance_km = 0;
  bool accepts_damaged = false;
  int64_t available = 0;
  double sales_per_day = 0;
  bool dormant = false;
};

struct ReturnChoice {
  size_t candidate = 0;
  double days_to_sell = 0;  // resellable: expected days until the unit sells; else 0
  int64_t shortfall = 0;    // resellable: units short of two weeks of sales
};

// Candidates ranked best first (only eligible ones): within `reach_km`, and for damaged
// or to-be-inspected units only nodes that accept them.
std::vector<ReturnChoice> rank_return_nodes(const std::vector<ReturnCandidate>& candidates,
                                            ReturnCondition condition, double reach_km);

inline constexpr int64_t kReturnCoverDays = 14;

}  // namespace stockd
