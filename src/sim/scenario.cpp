#include "sim/scenario.hpp"

#include <fmt/format.h>

#include <fstream>
#include <numeric>
#include <set>
#include <sstream>

#include "config/toml_reader.hpp"

namespace stockd::sim {
namespace {

constexpr std::string_view kStrategyNames[] = {"nightly_batch", "batch_15min", "realtime",
                                               "realtime_buffered"};
constexpr int64_t kSkusMax = 200'000;
constexpr int64_t kNodesMax = 500;
constexpr int64_t kPerDayMax = 50'000'000;

bool read_channel(const toml::table& table, const std::string& where, ChannelSpec& out,
                  std::string* error) {
  TableReader reader(table, where, error);
  std::string pool = "warehouses";
  if (!reader.only({"id", "share", "sync_latency_seconds", "updates_per_minute", "pool", "pickup",
                    "pickup_share", "backorder", "buffer_units"}) ||
      !reader.text("id", out.id, true) || !reader.number("share", out.share, 0, 1) ||
      !reader.integer("sync_latency_seconds", out.sync_latency_seconds, 0, 86'400) ||
      !reader.integer("updates_per_minute", out.updates_per_minute, 0, 1'000'000) ||
      !reader.text("pool", pool) || !reader.boolean("pickup", out.pickup) ||
      !reader.number("pickup_share", out.pickup_share, 0, 1) ||
      !reader.boolean("backorder", out.backorder) ||
      !reader.integer("buffer_units", out.buffer_units, 0, 1'000)) {
    return false;
  }
  if (pool == "warehouses") {
    out.pool = PoolKind::warehouses;
  } else if (pool == "all") {
    out.pool = PoolKind::all;
  } else {
    return reader.fail("pool", "must be warehouses or all");
  }
  if (out.pickup && out.pool != PoolKind::all) {
    return reader.fail("pickup", "needs pool = \"all\" (pickup is from the stores)");
  }
  if (out.pickup_share > 0 && !out.pickup) {
    return reader.fail("pickup_share", "needs pickup = true");
  }
  return true;
}

bool read_spike(const toml::table& table, const std::string& where, SpikeSpec& out,
                std::string* error) {
  TableReader reader(table, where, error);
  if (!reader.only({"name", "sku_first_rank", "sku_count", "channels", "start_hour", "hours",
                    "multiplier", "announced"}) ||
      !reader.text("name", out.name, true) ||
      !reader.integer("sku_first_rank", out.sku_first_rank, 0, kSkusMax) ||
      !reader.integer("sku_count", out.sku_count, 1, kSkusMax) ||
      !reader.texts("channels", out.channels) ||
      !reader.number("start_hour", out.start_hour, 0, 24 * 7) ||
      !reader.number("hours", out.hours, 0, 24 * 7) ||
      !reader.number("multiplier", out.multiplier, 1, 1000) ||
      !reader.boolean("announced", out.announced)) {
    return false;
  }
  return true;
}

bool read_profile(TableReader& reader, std::string_view key, std::vector<double>& out) {
  if (!reader.numbers(key, out)) return false;
  if (out.empty()) return true;
  if (out.size() != 24) return reader.fail(key, "must hold 24 hourly weights");
  if (std::accumulate(out.begin(), out.end(), 0.0) <= 0) {
    return reader.fail(key, "must have a positive weight somewhere");
  }
  return true;
}

}  // namespace

std::string_view strategy_name(Strategy strategy) {
  return kStrategyNames[static_cast<size_t>(strategy)];
}

bool strategy_from_name(std::string_view name, Strategy& out) {
  for (const Strategy strategy : kAllStrategies) {
    if (strategy_name(strategy) == name) {
      out = strategy;
      return true;
    }
  }
  return false;
}

std::string sku_id(int64_t rank) { return fmt::format("SKU-{:05d}", rank + 1); }
std::string warehouse_id(int64_t index) { return fmt::format("WH-{}", index + 1); }
std::string store_id(int64_t index) { return fmt::format("ST-{:02d}", index + 1); }
std::string dropship_id(int64_t index) { return fmt::format("DS-{}", index + 1); }

bool parse_scenario(std::string_view text, const std::string& origin, Scenario& out,
                    std::string* error) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& failure) {
    const auto& at = failure.source().begin;
    *error = fmt::format("{}:{}:{}: {}", origin, at.line, at.column, failure.description());
    return false;
  }
  Scenario scenario;
  std::string where_error;
  TableReader reader(root, "scenario", &where_error);
  std::string start = "2026-11-27T00:00:00Z";
  std::vector<std::string> strategies;
  int64_t seed = static_cast<int64_t>(scenario.seed);
  const bool read =
      reader.only({"name",
                   "description",
                   "start",
                   "hours",
                   "seed",
                   "skus",
                   "zipf_exponent",
                   "units_per_order_max",
                   "warehouses",
                   "stores",
                   "dropship_vendors",
                   "dropship_sku_share",
                   "warehouse_cover_days_min",
                   "warehouse_cover_days_max",
                   "store_cover_days_min",
                   "store_cover_days_max",
                   "dropship_cover_days",
                   "store_protected_min",
                   "online_orders_per_day",
                   "walk_in_units_per_store_day",
                   "online_hourly_profile",
                   "store_hourly_profile",
                   "dropship_other_units_per_vendor_day",
                   "channels",
                   "spikes",
                   "return_rate",
                   "return_resellable_share",
                   "return_damaged_share",
                   "shrink_units_per_store_day",
                   "receipts_per_warehouse_day",
                   "receipt_late_share",
                   "receipt_late_hours_max",
                   "receipt_short_share",
                   "receipt_short_fraction",
                   "counts_per_store_day",
                   "pos_lag_seconds",
                   "wms_lag_seconds",
                   "dropship_feed_minutes",
                   "nightly_batch_hour",
                   "batch_minutes",
                   "pick_delay_minutes",
                   "strategies"}) &&
      reader.text("name", scenario.name, true) &&
      reader.text("description", scenario.description) && reader.text("start", start) &&
      reader.integer("hours", scenario.hours, 1, 24 * 7) &&
      reader.integer("seed", seed, 0, INT64_MAX) &&
      reader.integer("skus", scenario.skus, 1, kSkusMax) &&
      reader.number("zipf_exponent", scenario.zipf_exponent, 0, 3) &&
      reader.integer("units_per_order_max", scenario.units_per_order_max, 1, 100) &&
      reader.integer("warehouses", scenario.warehouses, 0, kNodesMax) &&
      reader.integer("stores", scenario.stores, 0, kNodesMax) &&
      reader.integer("dropship_vendors", scenario.dropship_vendors, 0, kNodesMax) &&
      reader.number("dropship_sku_share", scenario.dropship_sku_share, 0, 1) &&
      reader.number("warehouse_cover_days_min", scenario.warehouse_cover_days_min, 0, 365) &&
      reader.number("warehouse_cover_days_max", scenario.warehouse_cover_days_max, 0, 365) &&
      reader.number("store_cover_days_min", scenario.store_cover_days_min, 0, 365) &&
      reader.number("store_cover_days_max", scenario.store_cover_days_max, 0, 365) &&
      reader.number("dropship_cover_days", scenario.dropship_cover_days, 0, 365) &&
      reader.integer("store_protected_min", scenario.store_protected_min, 0, 1000) &&
      reader.integer("online_orders_per_day", scenario.online_orders_per_day, 0, kPerDayMax) &&
      reader.integer("walk_in_units_per_store_day", scenario.walk_in_units_per_store_day, 0,
                     kPerDayMax) &&
      read_profile(reader, "online_hourly_profile", scenario.online_hourly_profile) &&
      read_profile(reader, "store_hourly_profile", scenario.store_hourly_profile) &&
      reader.integer("dropship_other_units_per_vendor_day",
                     scenario.dropship_other_units_per_vendor_day, 0, kPerDayMax) &&
      each_table(root, "channels", &where_error,
                 [&](const toml::table& table, const std::string& where) {
                   scenario.channels.emplace_back();
                   return read_channel(table, where, scenario.channels.back(), &where_error);
                 }) &&
      each_table(root, "spikes", &where_error,
                 [&](const toml::table& table, const std::string& where) {
                   scenario.spikes.emplace_back();
                   return read_spike(table, where, scenario.spikes.back(), &where_error);
                 }) &&
      reader.number("return_rate", scenario.return_rate, 0, 1) &&
      reader.number("return_resellable_share", scenario.return_resellable_share, 0, 1) &&
      reader.number("return_damaged_share", scenario.return_damaged_share, 0, 1) &&
      reader.integer("shrink_units_per_store_day", scenario.shrink_units_per_store_day, 0,
                     kPerDayMax) &&
      reader.integer("receipts_per_warehouse_day", scenario.receipts_per_warehouse_day, 0,
                     100'000) &&
      reader.number("receipt_late_share", scenario.receipt_late_share, 0, 1) &&
      reader.number("receipt_late_hours_max", scenario.receipt_late_hours_max, 0, 72) &&
      reader.number("receipt_short_share", scenario.receipt_short_share, 0, 1) &&
      reader.number("receipt_short_fraction", scenario.receipt_short_fraction, 0, 1) &&
      reader.integer("counts_per_store_day", scenario.counts_per_store_day, 0, kSkusMax) &&
      reader.integer("pos_lag_seconds", scenario.pos_lag_seconds, 0, 3'600) &&
      reader.integer("wms_lag_seconds", scenario.wms_lag_seconds, 0, 3'600) &&
      reader.integer("dropship_feed_minutes", scenario.dropship_feed_minutes, 1, 24 * 60) &&
      reader.integer("nightly_batch_hour", scenario.nightly_batch_hour, 0, 23) &&
      reader.integer("batch_minutes", scenario.batch_minutes, 1, 24 * 60) &&
      reader.integer("pick_delay_minutes", scenario.pick_delay_minutes, 0, 24 * 60) &&
      reader.texts("strategies", strategies);
  if (!read) {
    *error = origin + ": " + where_error;
    return false;
  }
  scenario.seed = static_cast<uint64_t>(seed);
  const auto fail = [&](const std::string& what) {
    *error = origin + ": " + what;
    return false;
  };
  const std::optional<Timestamp> start_at = parse_rfc3339(start);
  if (!start_at) return fail("scenario.start: must be an RFC 3339 time");
  scenario.start = *start_at;
  if (!strategies.empty()) {
    scenario.strategies.clear();
    for (const std::string& name : strategies) {
      Strategy strategy{};
      if (!strategy_from_name(name, strategy)) {
        return fail("scenario.strategies: unknown strategy '" + name +
                    "' (nightly_batch, batch_15min, realtime, realtime_buffered)");
      }
      scenario.strategies.push_back(strategy);
    }
  }
  if (scenario.warehouses + scenario.stores + scenario.dropship_vendors == 0) {
    return fail("scenario: needs at least one warehouse, store or dropship vendor");
  }
  if (scenario.warehouse_cover_days_max < scenario.warehouse_cover_days_min ||
      scenario.store_cover_days_max < scenario.store_cover_days_min) {
    return fail("scenario: a cover_days_max is below its cover_days_min");
  }
  if (scenario.return_resellable_share + scenario.return_damaged_share > 1 + 1e-9) {
    return fail("scenario.return_damaged_share: resellable + damaged shares exceed 1");
  }
  if (scenario.dropship_sku_share > 0 && scenario.dropship_vendors == 0) {
    return fail("scenario.dropship_sku_share: needs dropship_vendors");
  }
  if (scenario.online_hourly_profile.empty()) scenario.online_hourly_profile.assign(24, 1.0);
  if (scenario.store_hourly_profile.empty()) {
    scenario.store_hourly_profile.assign(24, 0.0);
    for (int hour = 9; hour < 21; ++hour) scenario.store_hourly_profile[hour] = 1.0;
  }
  std::set<std::string> channel_ids;
  double share_total = 0;
  for (const ChannelSpec& channel : scenario.channels) {
    if (!channel_ids.insert(channel.id).second) {
      return fail("scenario.channels: channel '" + channel.id + "' is declared twice");
    }
    if (channel.pickup && scenario.stores == 0) {
      return fail("scenario.channels: '" + channel.id + "' offers pickup but there are no stores");
    }
    share_total += channel.share;
  }
  if (scenario.online_orders_per_day > 0 && (scenario.channels.empty() || share_total <= 0)) {
    return fail("scenario.channels: online orders need at least one channel with a share");
  }
  for (const SpikeSpec& spike : scenario.spikes) {
    if (spike.sku_first_rank + spike.sku_count > scenario.skus) {
      return fail("scenario.spikes: '" + spike.name + "' names SKUs beyond the catalog");
    }
    for (const std::string& channel : spike.channels) {
      if (channel_ids.count(channel) == 0) {
        return fail("scenario.spikes: '" + spike.name + "' names unknown channel '" + channel +
                    "'");
      }
    }
  }
  out = std::move(scenario);
  return true;
}

bool load_scenario(const std::string& path, Scenario& out, std::string* error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    *error = path + ": cannot be read";
    return false;
  }
  std::ostringstream text;
  text << file.rdbuf();
  return parse_scenario(text.str(), path, out, error);
}

}  // namespace stockd::sim
