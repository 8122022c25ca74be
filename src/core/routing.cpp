#include "core/routing.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <tuple>

#include "base/assert.hpp"

namespace stockd {
namespace {

// A candidate plan's rank: lower is better, compared field by field.
struct PlanKey {
  int64_t cost_cents = 0;
  size_t shipments = 0;
  int64_t distance_m = 0;
  std::vector<size_t> nodes;  // ascending
  auto operator<=>(const PlanKey&) const = default;
};

class Search {
 public:
  Search(const std::vector<RouteDemand>& demands, const std::vector<RouteNode>& nodes,
         const RoutePolicy& policy)
      : demands_(demands), nodes_(nodes), steps_max_(policy.search_steps_max) {
    limit_ = policy.allow_partial
                 ? (policy.max_shipments == 0 ? nodes.size() : policy.max_shipments)
                 : 1;
    need_.resize(demands.size());
    for (size_t d = 0; d < demands.size(); ++d) need_[d] = demands[d].quantity;
    for (size_t n = 0; n < nodes.size(); ++n) {
      if (nodes[n].fixed) {
        take(n);
      } else {
        order_.push_back(n);
      }
    }
    std::sort(order_.begin(), order_.end(), [&](size_t a, size_t b) {
      return std::tie(nodes[a].shipment_cost_cents, nodes[a].distance_m, a) <
             std::tie(nodes[b].shipment_cost_cents, nodes[b].distance_m, b);
    });
    // What the nodes from position i on could still ship, per demand.
    suffix_.assign(order_.size() + 1, std::vector<int64_t>(demands.size(), 0));
    for (size_t i = order_.size(); i-- > 0;) {
      for (size_t d = 0; d < demands.size(); ++d) {
        suffix_[i][d] = suffix_[i + 1][d] + nodes[order_[i]].shippable[d];
      }
    }
  }

  void run() {
    if (chosen_.size() > limit_) return;  // reservations already span too many nodes
    greedy();
    descend(0);
  }

  bool found() const { return best_.has_value(); }
  bool exhausted() const { return steps_ > steps_max_; }
  uint64_t steps() const { return steps_; }
  const PlanKey& best() const { return *best_; }

 private:
  bool covered() const {
    return std::all_of(need_.begin(), need_.end(), [](int64_t n) { return n <= 0; });
  }
  bool helps(size_t node) const {
    for (size_t d = 0; d < need_.size(); ++d) {
      if (need_[d] > 0 && nodes_[node].shippable[d] > 0) return true;
    }
    return false;
  }
  void take(size_t node) {
    chosen_.push_back(node);
    cost_ += nodes_[node].shipment_cost_cents;
    distance_ += nodes_[node].distance_m;
    for (size_t d = 0; d < need_.size(); ++d) need_[d] -= nodes_[node].shippable[d];
  }
  void untake(size_t node) {
    STOCKD_ASSERT(!chosen_.empty() && chosen_.back() == node);
    chosen_.pop_back();
    cost_ -= nodes_[node].shipment_cost_cents;
    distance_ -= nodes_[node].distance_m;
    for (size_t d = 0; d < need_.size(); ++d) need_[d] += nodes_[node].shippable[d];
  }
  void consider() {
    PlanKey key{cost_, chosen_.size(), distance_, chosen_};
    std::sort(key.nodes.begin(), key.nodes.end());
    if (!best_ || key < *best_) best_ = std::move(key);
  }
  // A first plan: the cheapest helpful nodes in order until everything is covered.
  void greedy() {
    const size_t fixed = chosen_.size();
    for (size_t i = 0; i < order_.size() && !covered() && chosen_.size() < limit_; ++i) {
      if (helps(order_[i])) take(order_[i]);
    }
    if (covered()) consider();
    while (chosen_.size() > fixed) untake(chosen_.back());
  }
  void descend(size_t i) {
    if (++steps_ > steps_max_) return;
    if (covered()) return consider();
    if (chosen_.size() >= limit_ || i == order_.size()) return;
    if (best_) {
      // Any completion adds at least the cheapest remaining node and one shipment.
      const int64_t lower = cost_ + nodes_[order_[i]].shipment_cost_cents;
      if (lower > best_->cost_cents) return;
      if (lower == best_->cost_cents && chosen_.size() + 1 > best_->shipments) return;
    }
    for (size_t d = 0; d < need_.size(); ++d) {
      if (need_[d] > suffix_[i][d]) return;  // the rest cannot cover it any more
    }
    const size_t node = order_[i];
    if (helps(node)) {
      take(node);
      descend(i + 1);
      untake(node);
    }
    descend(i + 1);
  }

  const std::vector<RouteDemand>& demands_;
  const std::vector<RouteNode>& nodes_;
  uint64_t steps_max_;
  size_t limit_ = 1;
  std::vector<size_t> order_;  // the nodes a plan may add, cheapest first
  std::vector<std::vector<int64_t>> suffix_;
  std::vector<size_t> chosen_;
  std::vector<int64_t> need_;
  int64_t cost_ = 0;
  int64_t distance_ = 0;
  uint64_t steps_ = 0;
  std::optional<PlanKey> best_;
};

}  // namespace

RoutePlan plan_route(const std::vector<RouteDemand>& demands, const std::vector<RouteNode>& nodes,
                     const RoutePolicy& policy) {
  for ([[maybe_unused]] const RouteNode& node : nodes) {
    STOCKD_ASSERT(node.shippable.size() == demands.size());
    STOCKD_ASSERT(node.shipment_cost_cents >= 0);
  }
  RoutePlan plan;
  Search search(demands, nodes, policy);
  search.run();
  plan.search_steps = search.steps();
  plan.optimal = !search.exhausted();
  if (!search.found()) {
    plan.single_node_best.assign(demands.size(), 0);
    plan.all_nodes_total.assign(demands.size(), 0);
    for (const RouteNode& node : nodes) {
      for (size_t d = 0; d < demands.size(); ++d) {
        plan.single_node_best[d] = std::max(plan.single_node_best[d], node.shippable[d]);
        plan.all_nodes_total[d] += node.shippable[d];
      }
    }
    return plan;
  }
  const PlanKey& best = search.best();
  plan.found = true;
  // Within the plan, each demand takes from the cheapest nodes first.
  std::vector<size_t> by_cost = best.nodes;
  std::sort(by_cost.begin(), by_cost.end(), [&](size_t a, size_t b) {
    return std::tie(nodes[a].shipment_cost_cents, nodes[a].distance_m, a) <
           std::tie(nodes[b].shipment_cost_cents, nodes[b].distance_m, b);
  });
  std::vector<bool> used(nodes.size(), false);
  for (size_t d = 0; d < demands.size(); ++d) {
    int64_t need = demands[d].quantity;
    for (const size_t n : by_cost) {
      if (need <= 0) break;
      const int64_t quantity = std::min(need, nodes[n].shippable[d]);
      if (quantity <= 0) continue;
      plan.allocations.push_back({d, n, quantity});
      used[n] = true;
      need -= quantity;
    }
    STOCKD_ASSERT(need <= 0);  // the search only returns covering sets
  }
  for (const size_t n : best.nodes) {
    if (!used[n] && !nodes[n].fixed) continue;  // a zero-cost node that ended up unneeded
    plan.nodes.push_back(n);
    plan.cost_cents += nodes[n].shipment_cost_cents;
    plan.distance_m += nodes[n].distance_m;
  }
  return plan;
}

int64_t shipment_cost_cents(int64_t ship_cost_cents, double distance_km, int64_t cents_per_km) {
  return ship_cost_cents + std::llround(distance_km * static_cast<double>(cents_per_km));
}

DeliveryWindow delivery_window(Timestamp now, int64_t handling_days, double distance_km) {
  constexpr double kKmPerTransitDay = 600;
  const int64_t transit_days =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(distance_km / kKmPerTransitDay)));
  const auto day = std::chrono::hours{24};
  DeliveryWindow window;
  window.from = now + (handling_days + transit_days) * day;
  window.to = window.from + 2 * day;
  return window;
}

std::vector<ReturnChoice> rank_return_nodes(const std::vector<ReturnCandidate>& candidates,
                                            ReturnCondition condition, double reach_km) {
  std::vector<ReturnChoice> ranked;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const ReturnCandidate& candidate = candidates[i];
    if (candidate.distance_km > reach_km) continue;
    ReturnChoice choice{i, 0, 0};
    if (condition == ReturnCondition::resellable) {
      const double rate = std::max(0.0, candidate.sales_per_day);
      const int64_t available = std::max<int64_t>(0, candidate.available);
      // With no sales there is no finite estimate; such nodes rank after every selling one.
      choice.days_to_sell = rate > 0 ? static_cast<double>(available + 1) / rate
                                     : std::numeric_limits<double>::infinity();
      const auto target = static_cast<int64_t>(std::ceil(rate * kReturnCoverDays));
      choice.shortfall = std::max<int64_t>(0, target - available);
    } else if (!candidate.accepts_damaged) {
      continue;
    }
    ranked.push_back(choice);
  }
  std::sort(ranked.begin(), ranked.end(), [&](const ReturnChoice& a, const ReturnChoice& b) {
    const ReturnCandidate& ca = candidates[a.candidate];
    const ReturnCandidate& cb = candidates[b.candidate];
    const bool dormant_a = condition == ReturnCondition::resellable && ca.dormant;
    const bool dormant_b = condition == ReturnCondition::resellable && cb.dormant;
    return std::tie(dormant_a, a.days_to_sell, ca.distance_km, ca.location) <
           std::tie(dormant_b, b.days_to_sell, cb.distance_km, cb.location);
  });
  return ranked;
}

}  // namespace stockd
