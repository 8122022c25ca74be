// Orders: allocation and routing, cancellation, re-routing and delivery (see
// core/order.hpp and core/routing.hpp).
//
// Every order operation runs on the coordinator thread, one at a time, like group
// reservations: the shards of the order's SKUs pause at a batch boundary, the plan is
// computed on what they hold right now, the allocations are applied, and every shard's
// changes plus the order record go to the store in one atomic durable write. A plan
// that cannot be made changes nothing and holds nothing.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "base/assert.hpp"
#include "base/limits.hpp"
#include "core/event.hpp"
#include "core/ids.hpp"
#include "engine/engine.hpp"
#include "engine/shard.hpp"

namespace stockd {
namespace {

constexpr size_t kOrderLinesMax = 100;
constexpr size_t kOrdersPendingMax = 4096;  // waiting for the coordinator; more is overloaded
constexpr size_t kOrderGroupMax = 64;       // placed in one pause and one durable write
constexpr Duration kAllocationHoldTtl = std::chrono::seconds{60};

std::optional<Order> find_order(Store& store, std::string_view id) {
  const std::optional<std::string> bytes = store.get_aux(order_key(id));
  return bytes ? decode_order(*bytes) : std::nullopt;
}

// The distinct (sku, location) pairs an order allocated at, in allocation order.
std::vector<std::pair<std::string, std::string>> allocation_sites(const Order& order) {
  std::vector<std::pair<std::string, std::string>> sites;
  for (const OrderAllocation& allocation : order.allocations) {
    std::pair<std::string, std::string> site{allocation.sku, allocation.location};
    if (std::find(sites.begin(), sites.end(), site) == sites.end()) sites.push_back(site);
  }
  return sites;
}

std::vector<std::string> order_skus(const Order& order) {
  std::set<std::string> skus;
  for (const OrderLine& line : order.lines) skus.insert(line.sku);
  return {skus.begin(), skus.end()};
}

std::string format_cents(int64_t cents) {
  char text[32];
  std::snprintf(text, sizeof text, "%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return text;
}

}  // namespace

std::string_view order_status_name(OrderStatus status) {
  switch (status) {
    case OrderStatus::ok:
      return "ok";
    case OrderStatus::invalid_order:
      return "invalid_order";
    case OrderStatus::no_route:
      return "no_route";
    case OrderStatus::reservation_not_found:
      return "reservation_not_found";
    case OrderStatus::reservation_not_active:
      return "reservation_not_active";
    case OrderStatus::reservation_mismatch:
      return "reservation_mismatch";
    case OrderStatus::order_exists:
      return "order_exists";
    case OrderStatus::order_not_found:
      return "order_not_found";
    case OrderStatus::order_closed:
      return "order_closed";
    case OrderStatus::not_shipped:
      return "not_shipped";
    case OrderStatus::overloaded:
      return "overloaded";
    case OrderStatus::already_delivered:
      return "already_delivered";
  }
  return "unknown";
}

int64_t OrderResult::open_units() const {
  int64_t units = 0;
  for (const AllocationProgress& each : progress) units += each.open();
  return units;
}

int64_t OrderResult::shipped_units() const {
  int64_t units = 0;
  for (const AllocationProgress& each : progress) units += each.shipped;
  return units;
}

OrderResult Engine::read_order(std::string_view id) {
  OrderResult result;
  std::optional<Order> order = find_order(store_, id);
  if (!order) {
    result.status = OrderStatus::order_not_found;
    return result;
  }
  for (const auto& [sku, location] : allocation_sites(*order)) {
    const auto bytes = store_.get_aux(allocation_key(order->id, sku, location));
    const auto progress = bytes ? decode_allocation_progress(*bytes) : std::nullopt;
    STOCKD_ASSERT(progress.has_value());  // written with the order, never deleted
    result.progress.push_back(*progress);
  }
  result.order = std::move(*order);
  return result;
}

// Routes `pieces` (line index, quantity) over the candidates, nodes in `fixed_locations`
// shipping anyway, nodes in `excluded` not at all; on success applies the allocations
// (holds committed to the order at once) and adds them, their shipments and their
// progress to `result`. Runs with the SKUs' shards paused.
bool Engine::route_and_allocate(const OrderRequest& request,
                                const std::vector<std::pair<uint32_t, int64_t>>& pieces,
                                const std::set<std::string>& fixed_locations,
                                const std::set<std::string>& excluded, Timestamp now,
                                OrderResult& result, bool placing) {
  Order& order = result.order;
  const std::shared_ptr<const Catalog> catalog = this->catalog();
  // Demands: one per SKU, lines of the same SKU summed.
  std::map<std::string, size_t> demand_of;
  for (const auto& [line, quantity] : pieces) {
    const std::string& sku = order.lines[line].sku;
    auto [it, inserted] = demand_of.try_emplace(sku, result.demands.size());
    if (inserted) result.demands.push_back({sku, 0});
    result.demands[it->second].quantity += quantity;
  }
  const GeoPoint shopper{order.ship_to_lat, order.ship_to_lon};
  std::vector<RouteNode> nodes;
  std::set<std::string> seen;
  const auto consider = [&](const ReserveCandidate& candidate, bool fixed) {
    if (!seen.insert(candidate.location).second) return;
    NodeConsidered considered;
    considered.location = candidate.location;
    const Location* location = catalog->find_location(candidate.location);
    if (location == nullptr) {
      considered.verdict = "unknown_location";
      result.considered.push_back(std::move(considered));
      return;
    }
    const double km = distance_km(shopper, GeoPoint{location->lat, location->lon});
    considered.distance_km = km;
    considered.shipment_cost_cents =
        shipment_cost_cents(location->ship_cost_cents, km, request.cents_per_km);
    if (excluded.contains(candidate.location)) {
      considered.verdict = "excluded";
    } else if (!fixed && location->ship_radius_km > 0 &&
               km > static_cast<double>(location->ship_radius_km)) {
      considered.verdict = "out_of_radius";
    }
    RouteNode node;
    node.location = candidate.location;
    node.shipment_cost_cents = considered.shipment_cost_cents;
    node.distance_m = std::llround(km * 1000);
    node.fixed = fixed;
    for (const RouteDemand& demand : result.demands) {
      int64_t units = 0;
      if (considered.verdict.empty()) {
        const Position* position = shard_for_sku(demand.sku).find(demand.sku, candidate.location);
        units = position != nullptr ? sellable(*position, candidate.rule, now) : 0;
      }
      node.shippable.push_back(units);
      considered.shippable.push_back(units);
    }
    if (considered.verdict.empty() && !fixed &&
        std::all_of(node.shippable.begin(), node.shippable.end(),
                    [](int64_t units) { return units == 0; })) {
      considered.verdict = "nothing_to_ship";
    }
    result.considered.push_back(std::move(considered));
    if (result.considered.back().verdict.empty()) {
      nodes.push_back(std::move(node));
    }
  };
  // Reservation nodes first (they ship anyway), then the pool in order.
  std::vector<ReserveCandidate> fixed_candidates;
  for (const std::string& location : fixed_locations) {
    const auto in_pool = std::find_if(request.candidates.begin(), request.candidates.end(),
                                      [&](const auto& c) { return c.location == location; });
    fixed_candidates.push_back(in_pool != request.candidates.end() ? *in_pool
                                                                   : ReserveCandidate(location));
  }
  for (const ReserveCandidate& candidate : fixed_candidates) consider(candidate, true);
  for (const ReserveCandidate& candidate : request.candidates) consider(candidate, false);

  RoutePolicy policy;
  policy.allow_partial = order.allow_partial;
  policy.max_shipments = order.max_shipments;
  const RoutePlan plan = plan_route(result.demands, nodes, policy);
  result.search_steps = plan.search_steps;
  order.optimal = plan.optimal;
  if (!plan.found) {
    std::string detail;
    for (size_t d = 0; d < result.demands.size(); ++d) {
      if (!detail.empty()) detail += "; ";
      detail += result.demands[d].sku + ": " + std::to_string(result.demands[d].quantity) +
                " wanted, best node " + std::to_string(plan.single_node_best[d]) +
                ", all eligible nodes " + std::to_string(plan.all_nodes_total[d]);
    }
    result.detail = detail;
    return false;
  }

  // Apply: each demand's allocations are spread over its lines in order.
  std::map<std::string, std::vector<std::pair<uint32_t, int64_t>>> lines_of;  // sku -> pieces
  for (const auto& [line, quantity] : pieces) {
    lines_of[order.lines[line].sku].emplace_back(line, quantity);
  }
  std::map<std::string, std::map<std::string, int64_t>> added;  // sku -> location -> units
  for (const RouteAllocation& allocation : plan.allocations) {
    const std::string& sku = result.demands[allocation.demand].sku;
    const std::string& location = nodes[allocation.node].location;
    int64_t left = allocation.quantity;
    for (auto& [line, want] : lines_of[sku]) {
      if (left == 0) break;
      const int64_t units = std::min(left, want);
      if (units == 0) continue;
      Shard& shard = shard_for_sku(sku);
      shard.place_hold(sku, location, order.channel, units, kAllocationHoldTtl, now);
      Reservation& hold = shard.active_.at(shard.last_hold_id_);
      const std::string hold_id = hold.id;
      shard.end(hold, ReservationState::committed, order.id, now);
      order.allocations.push_back({line, sku, location, units, hold_id});
      added[sku][location] += units;
      want -= units;
      left -= units;
    }
    STOCKD_ASSERT(left == 0);
  }
  for (const auto& [sku, at] : added) {
    for (const auto& [location, units] : at) {
      shard_for_sku(sku).add_allocation(order.id, sku, location, units, placing);
    }
  }
  // Shipments, their delivery windows, and the verdict for each considered node.
  std::set<std::string> shipping;
  for (const size_t n : plan.nodes) {
    const Location* location = catalog->find_location(nodes[n].location);
    STOCKD_ASSERT(location != nullptr);
    const double km = static_cast<double>(nodes[n].distance_m) / 1000;
    const DeliveryWindow window = delivery_window(now, location->handling_days, km);
    order.shipments.push_back({nodes[n].location, nodes[n].shipment_cost_cents, nodes[n].distance_m,
                               window.from, window.to});
    order.cost_cents += nodes[n].shipment_cost_cents;
    order.promise_from = std::max(order.promise_from, window.from);
    order.promise_to = std::max(order.promise_to, window.to);
    shipping.insert(nodes[n].location);
  }
  for (NodeConsidered& considered : result.considered) {
    if (considered.verdict.empty()) {
      considered.verdict = shipping.contains(considered.location) ? "shipping" : "cheaper_plan";
    }
  }
  std::string why = std::to_string(plan.nodes.size()) +
                    (plan.nodes.size() == 1 ? " shipment" : " shipments") + " from ";
  for (size_t i = 0; i < order.shipments.size(); ++i) {
    why += (i == 0 ? "" : ", ") + order.shipments[i].location;
  }
  why += " for " + format_cents(plan.cost_cents) + ": the cheapest of " +
         std::to_string(nodes.size()) + " eligible nodes" +
         (order.allow_partial
              ? (order.max_shipments > 0
                     ? " with at most " + std::to_string(order.max_shipments) + " shipments"
                     : " with splitting allowed")
              : " shipping the whole order at once") +
         (plan.optimal ? "" : " (search budget reached: best plan found)");
  order.explanation = why;
  return true;
}

// Decides one order on the paused shards and, when it can be placed, applies it and
// adds its record to `merged`. Leaves a refusal in `result` otherwise (nothing changed).
void Engine::place_one(OrderRequest& request, OrderResult& result, Timestamp now,
                       WriteSet& merged) {
  Order& order = request.order;
  order.created_at = now;
  // Decide the reserved lines first: each must be an active hold of that SKU and quantity.
  std::vector<std::pair<Shard*, Reservation*>> holds;
  std::vector<std::pair<uint32_t, int64_t>> pieces;
  std::set<std::string> fixed;
  for (uint32_t i = 0; i < order.lines.size(); ++i) {
    const OrderLine& line = order.lines[i];
    if (line.reservation_id.empty()) {
      pieces.emplace_back(i, line.quantity);
      continue;
    }
    Shard* shard = shard_for_reservation(line.reservation_id);
    Reservation* active = nullptr;
    if (shard != nullptr) {
      const auto found = shard->active_.find(line.reservation_id);
      if (found != shard->active_.end()) active = &found->second;
    }
    if (active == nullptr) {
      result.status = store_.find_reservation(line.reservation_id)
                          ? OrderStatus::reservation_not_active
                          : OrderStatus::reservation_not_found;
      result.detail = line.reservation_id;
      return;
    }
    Reservation& hold = *active;
    if (decide_end(hold, now) != ReserveStatus::ok) {
      result.status = OrderStatus::reservation_not_active;
      result.detail = line.reservation_id;
      return;
    }
    if (hold.sku != line.sku || hold.quantity != line.quantity || hold.backorder) {
      result.status = OrderStatus::reservation_mismatch;
      result.detail = line.reservation_id + " holds " + std::to_string(hold.quantity) + " of " +
                      hold.sku + (hold.backorder ? " (a backorder promise)" : "");
      return;
    }
    holds.emplace_back(shard, &hold);
    fixed.insert(hold.location);
  }
  if (fixed.size() >
      (order.allow_partial ? (order.max_shipments == 0 ? fixed.size() : order.max_shipments) : 1)) {
    result.status = OrderStatus::no_route;
    result.detail = "the reserved lines are held at " + std::to_string(fixed.size()) +
                    " nodes, more shipments than the order allows";
    return;
  }
  result.order = order;
  if (!pieces.empty() &&
      !route_and_allocate(request, pieces, fixed, {}, now, result, /*placing=*/true)) {
    result.status = OrderStatus::no_route;
    return;
  }
  Order& placed = result.order;
  // Reserved lines: commit each hold to the order where it is.
  std::map<std::string, std::map<std::string, int64_t>> added;
  for (auto& [shard, hold] : holds) {
    const uint32_t line = static_cast<uint32_t>(
        std::find_if(placed.lines.begin(), placed.lines.end(),
                     [&id = hold->id](const OrderLine& l) { return l.reservation_id == id; }) -
        placed.lines.begin());
    placed.allocations.push_back({line, hold->sku, hold->location, hold->quantity, hold->id});
    added[hold->sku][hold->location] += hold->quantity;
    shard->end(*hold, ReservationState::committed, placed.id, now);
  }
  for (const auto& [sku, at] : added) {
    for (const auto& [location, units] : at) {
      shard_for_sku(sku).add_allocation(placed.id, sku, location, units, /*placing=*/true);
    }
  }
  if (pieces.empty()) {
    // Only reserved lines: their nodes ship, no routing was needed.
    const std::shared_ptr<const Catalog> catalog = this->catalog();
    for (const std::string& at : fixed) {
      const Location* location = catalog->find_location(at);
      const double km = location == nullptr
                            ? 0
                            : distance_km(GeoPoint{placed.ship_to_lat, placed.ship_to_lon},
                                          GeoPoint{location->lat, location->lon});
      const int64_t cost = location == nullptr ? 0
                                               : shipment_cost_cents(location->ship_cost_cents, km,
                                                                     request.cents_per_km);
      const DeliveryWindow window =
          delivery_window(now, location == nullptr ? 1 : location->handling_days, km);
      placed.shipments.push_back({at, cost, std::llround(km * 1000), window.from, window.to});
      placed.cost_cents += cost;
      placed.promise_from = std::max(placed.promise_from, window.from);
      placed.promise_to = std::max(placed.promise_to, window.to);
    }
    placed.explanation = "every line was reserved: it ships from where it is held";
  }
  merged.aux.emplace_back(order_key(placed.id), encode_order(placed));
}

void Engine::place_order(OrderRequest request, std::function<void(OrderResult)> done) {
  std::unique_lock lock(orders_mutex_);
  if (!stopped_.load() && orders_pending_.size() < kOrdersPendingMax) {
    orders_pending_.push_back({std::move(request), std::move(done)});
    if (drain_queued_) return;  // the queued drain will take it
    std::function<void()> drain = [this] { drain_orders(); };
    if (coordinator_queue_->try_push(drain)) {
      drain_queued_ = true;
      return;
    }
    done = std::move(orders_pending_.back().done);
    orders_pending_.pop_back();
  }
  lock.unlock();
  OrderResult result;
  result.status = OrderStatus::overloaded;
  done(std::move(result));
}

// Places every order waiting (up to kOrderGroupMax) as one group: checked one by one,
// decided and applied in arrival order on the paused shards (each sees the ones before
// it), then written in one atomic durable write, then answered. Group commit: one pause
// and one fsync for many orders.
void Engine::drain_orders() {
  while (true) {
    std::vector<PendingOrder> group;
    {
      std::lock_guard lock(orders_mutex_);
      while (!orders_pending_.empty() && group.size() < kOrderGroupMax) {
        group.push_back(std::move(orders_pending_.front()));
        orders_pending_.pop_front();
      }
    }
    place_group(group);
    std::lock_guard lock(orders_mutex_);
    if (orders_pending_.empty()) {
      drain_queued_ = false;
      return;
    }
    // More arrived: let other coordinator work go first when the queue has room.
    std::function<void()> drain = [this] { drain_orders(); };
    if (coordinator_queue_->try_push(drain)) return;
  }
}

void Engine::place_group(std::vector<PendingOrder>& group) {
  if (group.empty()) return;
  std::vector<OrderResult> results(group.size());
  std::vector<bool> placing(group.size(), false);
  std::set<std::string> ids;
  std::vector<PendingOrder> later;  // the same id twice in one group: the second waits
  std::vector<std::string> skus;
  for (size_t i = 0; i < group.size(); ++i) {
    Order& order = group[i].request.order;
    OrderResult& result = results[i];
    const auto refuse = [&](OrderStatus status, std::string detail) {
      result.status = status;
      result.detail = std::move(detail);
    };
    if (!is_valid_id(order.id)) {
      refuse(OrderStatus::invalid_order, "id");
      continue;
    }
    if (order.lines.empty() || order.lines.size() > kOrderLinesMax) {
      refuse(OrderStatus::invalid_order, "lines: 1 to 100");
      continue;
    }
    std::set<std::string> reservation_ids;
    for (const OrderLine& line : order.lines) {
      if (!is_valid_sku(line.sku)) {
        refuse(OrderStatus::invalid_order, "sku");
      } else if (line.quantity < 1 || line.quantity > limits::quantity_max) {
        refuse(OrderStatus::invalid_order, "quantity");
      } else if (!line.reservation_id.empty() &&
                 !reservation_ids.insert(line.reservation_id).second) {
        refuse(OrderStatus::invalid_order, "reservation_id: named twice");
      }
      if (result.status != OrderStatus::ok) break;
    }
    if (result.status != OrderStatus::ok) continue;
    if (!ids.insert(order.id).second) {
      later.push_back(std::move(group[i]));
      group[i].done = nullptr;
      continue;
    }
    // The same id again: the same request replays the order as it is now.
    if (const std::optional<Order> stored = find_order(store_, order.id)) {
      if (stored->fingerprint != order.fingerprint) {
        refuse(OrderStatus::order_exists, "this order id was placed with another body");
      } else {
        result = read_order(order.id);
        result.replayed = true;
      }
      continue;
    }
    order.allocations.clear();
    order.shipments.clear();
    order.cost_cents = 0;
    placing[i] = true;
    for (std::string& sku : order_skus(order)) skus.push_back(std::move(sku));
  }
  if (!skus.empty()) {
    with_paused_shards(skus, [&] {
      const Timestamp now = clock_.now();
      WriteSet merged;
      for (size_t i = 0; i < group.size(); ++i) {
        if (!placing[i]) continue;
        for (auto& shard : shards_) shard->current_principal_ = group[i].request.principal;
        place_one(group[i].request, results[i], now, merged);
      }
      for (auto& shard : shards_) shard->current_principal_.clear();
      {}
      // One atomic write: every shard's holds, commits, progress, and the orders.
      std::set<Shard*> touched;
      for (const std::string& sku : skus) touched.insert(&shard_for_sku(sku));
      for (Shard* shard : touched) shard->export_batch(merged);
      if (!merged.empty()) {
        write_durably(merged, "coordinator");
        if (!merged.outbox.empty()) notify_outbox();
      }
    });
  }
  for (size_t i = 0; i < group.size(); ++i) {
    if (group[i].done == nullptr) continue;
    if (placing[i] && results[i].status == OrderStatus::ok) {
      results[i].progress = read_order(results[i].order.id).progress;
    }
    group[i].done(std::move(results[i]));
  }
  if (!later.empty()) {
    std::lock_guard lock(orders_mutex_);
    for (auto it = later.rbegin(); it != later.rend(); ++it) {
      orders_pending_.push_front(std::move(*it));
    }
  }
}

void Engine::cancel_order(std::string id, std::string reason, std::function<void(OrderResult)> done,
                          std::string principal) {
  std::function<void()> task = [this, id = std::move(id), reason = std::move(reason),
                                principal = std::move(principal), done]() mutable {
    OrderResult result = read_order(id);
    if (result.status != OrderStatus::ok) return done(std::move(result));
    if (result.open_units() == 0) {
      result.status = OrderStatus::order_closed;
      return done(std::move(result));
    }
    Order& order = result.order;
    with_paused_shards(order_skus(order), [&] {
      const Timestamp now = clock_.now();
      std::set<Shard*> touched;
      for (auto& shard : shards_) shard->current_principal_ = principal;
      for (const auto& [sku, location] : allocation_sites(order)) {
        Shard& shard = shard_for_sku(sku);
        const AllocationProgress* open =
            shard.find_allocation(allocation_key(order.id, sku, location));
        if (open == nullptr) continue;  // shipped or cancelled meanwhile
        shard.cancel_allocation(*open, open->open(), reason, now);
        touched.insert(&shard);
      }
      for (auto& shard : shards_) shard->current_principal_.clear();
      order.cancel_reason = reason;
      order.cancelled_at = now;
      WriteSet merged;
      for (Shard* shard : touched) shard->export_batch(merged);
      merged.aux.emplace_back(order_key(order.id), encode_order(order));
      write_durably(merged, "coordinator");
      if (!merged.outbox.empty()) notify_outbox();
    });
    OrderResult after = read_order(id);
    done(std::move(after));
  };
  if (stopped_.load() || !coordinator_queue_->try_push(task)) {
    OrderResult result;
    result.status = OrderStatus::overloaded;
    done(std::move(result));
  }
}

void Engine::reroute_order(std::string id, std::vector<std::string> from_locations,
                           std::string reason, OrderRequest request,
                           std::function<void(OrderResult)> done) {
  std::function<void()> task = [this, id = std::move(id), from = std::move(from_locations),
                                reason = std::move(reason), request = std::move(request),
                                done]() mutable {
    OrderResult current = read_order(id);
    if (current.status != OrderStatus::ok) return done(std::move(current));
    std::set<std::string> excluded(from.begin(), from.end());
    // What moves: the open units at the named nodes (every open allocation if none named).
    std::vector<AllocationProgress> moving;
    for (const AllocationProgress& progress : current.progress) {
      if (progress.open() > 0 && (excluded.empty() || excluded.contains(progress.location))) {
        moving.push_back(progress);
      }
    }
    if (moving.empty()) {
      current.status = OrderStatus::order_closed;
      current.detail = "nothing open at the named nodes";
      return done(std::move(current));
    }
    if (excluded.empty()) {
      for (const AllocationProgress& progress : moving) excluded.insert(progress.location);
    }
    OrderResult result;
    result.order = current.order;
    Order& order = result.order;
    with_paused_shards(order_skus(order), [&] {
      const Timestamp now = clock_.now();
      // The open units move as pieces of the first line of their SKU.
      std::vector<std::pair<uint32_t, int64_t>> pieces;
      for (const AllocationProgress& progress : moving) {
        const uint32_t line = static_cast<uint32_t>(
            std::find_if(order.lines.begin(), order.lines.end(),
                         [&](const OrderLine& l) { return l.sku == progress.sku; }) -
            order.lines.begin());
        pieces.emplace_back(line, progress.open());
      }
      // Plan first (with the old nodes excluded); only a plan that exists moves anything.
      // The nodes the order still ships from without moving ship anyway.
      std::set<std::string> fixed;
      for (const AllocationProgress& progress : current.progress) {
        if (progress.open() > 0 && !excluded.contains(progress.location)) {
          fixed.insert(progress.location);
        }
      }
      const Order before = order;
      order.shipments.clear();
      order.cost_cents = 0;
      order.promise_from = order.promise_to = Timestamp{};
      request.order = order;
      if (!route_and_allocate(request, pieces, fixed, excluded, now, result, /*placing=*/false)) {
        result.status = OrderStatus::no_route;
        result.order = before;
        return;
      }
      std::set<Shard*> touched;
      for (const AllocationProgress& progress : moving) {
        Shard& shard = shard_for_sku(progress.sku);
        const AllocationProgress* open =
            shard.find_allocation(allocation_key(order.id, progress.sku, progress.location));
        STOCKD_ASSERT(open != nullptr && open->open() == progress.open());
        shard.cancel_allocation(*open, progress.open(), reason, now);
      }
      for (const std::string& sku : order_skus(order)) touched.insert(&shard_for_sku(sku));
      order.interventions += 1;
      order.explanation = "re-routed away from " + [&] {
        std::string names;
        for (const std::string& name : excluded) names += (names.empty() ? "" : ", ") + name;
        return names;
      }() + ": " + order.explanation;
      WriteSet merged;
      for (Shard* shard : touched) shard->export_batch(merged);
      merged.aux.emplace_back(order_key(order.id), encode_order(order));
      write_durably(merged, "coordinator");
      if (!merged.outbox.empty()) notify_outbox();
    });
    if (result.status != OrderStatus::ok) return done(std::move(result));
    OrderResult after = read_order(id);
    result.progress = std::move(after.progress);
    done(std::move(result));
  };
  if (stopped_.load() || !coordinator_queue_->try_push(task)) {
    OrderResult result;
    result.status = OrderStatus::overloaded;
    done(std::move(result));
  }
}

void Engine::mark_delivered(std::string id, Timestamp delivered_at,
                            std::function<void(OrderResult)> done) {
  std::function<void()> task = [this, id = std::move(id), delivered_at, done]() mutable {
    OrderResult result = read_order(id);
    if (result.status != OrderStatus::ok) return done(std::move(result));
    Order& order = result.order;
    if (delivered_at < order.created_at) {
      result.status = OrderStatus::invalid_order;
      result.detail = "delivered_at is before the order was placed";
      return done(std::move(result));
    }
    if (micros_of(order.delivered_at) > 0) {
      if (order.delivered_at != delivered_at) result.status = OrderStatus::already_delivered;
      return done(std::move(result));
    }
    if (result.shipped_units() == 0) {
      result.status = OrderStatus::not_shipped;
      return done(std::move(result));
    }
    order.delivered_at = delivered_at;
    WriteSet write;
    write.aux.emplace_back(order_key(order.id), encode_order(order));
    write_durably(write, "coordinator");
    done(std::move(result));
  };
  if (stopped_.load() || !coordinator_queue_->try_push(task)) {
    OrderResult result;
    result.status = OrderStatus::overloaded;
    done(std::move(result));
  }
}

void Engine::get_order(std::string id, std::function<void(OrderResult)> done) {
  done(read_order(id));
}

void Engine::for_each_order(
    const std::function<void(const Order&, const std::vector<AllocationProgress>&)>& visit) {
  std::vector<std::string> ids;
  (void)store_.for_each_aux(kOrderKeyPrefix, [&](std::string_view key, std::string_view) {
    ids.emplace_back(key.substr(kOrderKeyPrefix.size()));
  });
  for (const std::string& id : ids) {
    OrderResult found = read_order(id);
    if (found.status == OrderStatus::ok) visit(found.order, found.progress);
  }
}

}  // namespace stockd
