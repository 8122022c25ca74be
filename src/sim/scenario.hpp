// A simulated retail day (`stockd simulate --scenario FILE.toml`): the business's shape
// (SKUs, warehouses, stores, dropship vendors, channels), its demand curves and the
// everyday disturbances (returns, shrink, late or short receipts, cycle counts). Loaded
// from TOML; every setting has a default and a clear error. See docs/SIMULATION.md.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/time.hpp"

namespace stockd::sim {

// The sync strategies compared side by side, in report order.
enum class Strategy : uint8_t {
  nightly_batch = 0,      // facts and channel feeds once a night
  batch_15min = 1,        // facts and channel feeds every 15 minutes
  realtime = 2,           // facts within seconds, feeds on every change; no buffers
  realtime_buffered = 3,  // the same with channel-aware dynamic buffers and promotions
};
inline constexpr std::array<Strategy, 4> kAllStrategies = {
    Strategy::nightly_batch, Strategy::batch_15min, Strategy::realtime,
    Strategy::realtime_buffered};
std::string_view strategy_name(Strategy strategy);
bool strategy_from_name(std::string_view name, Strategy& out);

// A channel's pool: the warehouses (and dropship vendors), or every node including the
// stores (ship from store).
enum class PoolKind : uint8_t { warehouses = 0, all = 1 };

struct ChannelSpec {
  std::string id;
  double share = 0;                  // of online orders
  int64_t sync_latency_seconds = 0;  // push accepted → shown to shoppers
  int64_t updates_per_minute = 0;    // the channel's API rate limit; 0 = none
  PoolKind pool = PoolKind::warehouses;
  bool pickup = false;      // offers buy-online-pick-up-in-store at the stores
  double pickup_share = 0;  // of this channel's orders
  bool backorder = false;
  int64_t buffer_units = 0;  // static buffer, realtime_buffered only
};

struct SpikeSpec {
  std::string name;
  int64_t sku_first_rank = 0;  // the SKUs by popularity rank [first, first + count)
  int64_t sku_count = 0;
  std::vector<std::string> channels;
  double start_hour = 0;  // from the start of the day
  double hours = 0;
  double multiplier = 1;  // demand × this while it runs
  bool announced = true;  // declared as a promotion (realtime_buffered widens buffers)
};

struct Scenario {
  std::string name;
  std::string description;
  Timestamp start{};  // the simulated day begins here
  int64_t hours = 24;
  uint64_t seed = 1;

  // Catalog: SKU popularity follows Zipf(zipf_exponent) by rank.
  int64_t skus = 1000;
  double zipf_exponent = 1.0;
  int64_t units_per_order_max = 3;  // 1 unit most often

  // Network.
  int64_t warehouses = 1;
  int64_t stores = 0;
  int64_t dropship_vendors = 0;
  double dropship_sku_share = 0;          // long-tail SKUs stocked only by a vendor
  double warehouse_cover_days_min = 0.5;  // opening stock, days of expected demand
  double warehouse_cover_days_max = 4;
  double store_cover_days_min = 0.5;
  double store_cover_days_max = 4;
  double dropship_cover_days = 3;
  int64_t store_protected_min = 1;

  // Demand.
  int64_t online_orders_per_day = 0;
  int64_t walk_in_units_per_store_day = 0;
  std::vector<double> online_hourly_profile;        // 24 weights
  std::vector<double> store_hourly_profile;         // 24 weights (0 = closed)
  int64_t dropship_other_units_per_vendor_day = 0;  // the vendor's sales elsewhere
  std::vector<ChannelSpec> channels;
  std::vector<SpikeSpec> spikes;

  // Disturbances.
  double return_rate = 0.03;  // returns per unit sold
  double return_resellable_share = 0.7;
  double return_damaged_share = 0.2;       // the rest need inspection
  int64_t shrink_units_per_store_day = 0;  // unrecorded until a count finds it
  int64_t receipts_per_warehouse_day = 0;
  double receipt_late_share = 0;
  double receipt_late_hours_max = 6;
  double receipt_short_share = 0;
  double receipt_short_fraction = 0.3;
  int64_t counts_per_store_day = 0;

  // How facts travel (the real-time strategies; batch strategies hold them).
  int64_t pos_lag_seconds = 2;
  int64_t wms_lag_seconds = 10;
  int64_t dropship_feed_minutes = 60;
  int64_t nightly_batch_hour = 2;
  int64_t batch_minutes = 15;
  int64_t pick_delay_minutes = 45;  // order accepted → picked at the node
  std::vector<Strategy> strategies{kAllStrategies.begin(), kAllStrategies.end()};
};

// Parses `path`. On failure returns false with `error` = "<path>: <where>: <what>".
bool load_scenario(const std::string& path, Scenario& out, std::string* error);
// The same from text (tests); `origin` names it in errors.
bool parse_scenario(std::string_view text, const std::string& origin, Scenario& out,
                    std::string* error);

// Names used in the engine.
std::string sku_id(int64_t rank);         // "SKU-00001"
std::string warehouse_id(int64_t index);  // "WH-1"
std::string store_id(int64_t index);      // "ST-01"
std::string dropship_id(int64_t index);   // "DS-1"

}  // namespace stockd::sim
