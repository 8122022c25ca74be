// The simulated day's script: everything that happens in the world regardless of how
// stock is synced (shoppers arriving, returns, shrink, vendor trucks, counts), drawn
// once from the seed and replayed identically under every strategy. Pure and
// deterministic: the same scenario and seed give the same script.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/scenario.hpp"

namespace stockd::sim {

enum class LocationKind : uint8_t { warehouse = 0, store = 1, dropship = 2 };

// The network, by index: warehouses, then stores, then dropship vendors.
struct Layout {
  int64_t skus = 0;
  std::vector<std::string> sku_ids;
  std::vector<std::string> location_ids;
  std::vector<LocationKind> location_kinds;
  std::vector<bool> dropship_only;  // per SKU: stocked only by its vendor
  std::vector<int32_t> sku_vendor;  // per SKU: its vendor's location index, or -1
  std::vector<double> popularity;   // per SKU, sums to 1
  int64_t locations() const { return static_cast<int64_t>(location_ids.size()); }
  // Whether `location` stocks `sku` at all.
  bool stocks(int64_t sku, int64_t location) const;
};

enum class HappeningKind : uint8_t {
  walk_in = 0,       // a shopper at a store takes `quantity` off the shelf, if it is there
  online_order = 1,  // a shopper orders on `channel` (shipped, or picked up at `location`)
  return_item = 2,   // a unit comes back at `location` in `condition`
  shrink = 3,        // a unit disappears at a store, unrecorded
  receipt = 4,       // purchase order `purchase_order` arrives at its warehouse
  count = 5,         // a cycle count of `sku` at a store
  vendor_sale = 6,   // a dropship vendor sells a unit through another retailer
};

enum class ReturnCondition : uint8_t { resellable = 0, damaged = 1, needs_inspection = 2 };

struct Happening {
  int64_t at_ms = 0;  // from the start of the day
  HappeningKind kind = HappeningKind::walk_in;
  bool pickup = false;
  uint8_t channel = 0;
  ReturnCondition condition = ReturnCondition::resellable;
  int32_t sku = 0;
  int32_t location = -1;
  int32_t quantity = 1;
  int32_t purchase_order = -1;
};

struct PurchaseOrderPlan {
  std::string id;
  int32_t sku = 0;
  int32_t location = 0;
  int64_t ordered = 0;
  int64_t received = 0;  // less when short
  int64_t expected_ms = 0;
  int64_t arrives_ms = 0;  // later when late
};

struct DayScript {
  Layout layout;
  // Opening on-hand and expected daily demand per position (sku × locations + location).
  std::vector<int64_t> opening;
  std::vector<double> daily_demand;
  std::vector<PurchaseOrderPlan> purchase_orders;
  std::vector<Happening> happenings;  // by time
  int64_t position(int64_t sku, int64_t location) const {
    return sku * layout.locations() + location;
  }
};

Layout make_layout(const Scenario& scenario);
DayScript make_day_script(const Scenario& scenario, uint64_t seed);

}  // namespace stockd::sim
