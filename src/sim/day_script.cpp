#include "sim/day_script.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "base/assert.hpp"

namespace stockd::sim {
namespace {

constexpr int64_t kHourMs = 3'600'000;
constexpr double kSingleUnitShare = 0.7;  // of orders: one unit; the rest 2..max

// A draw from a set of SKUs weighted by popularity.
class SkuPicker {
 public:
  SkuPicker() = default;
  SkuPicker(const Layout& layout, std::vector<int32_t> skus) : skus_(std::move(skus)) {
    std::vector<double> weights;
    weights.reserve(skus_.size());
    for (const int32_t sku : skus_) weights.push_back(layout.popularity[sku]);
    if (!skus_.empty()) pick_ = std::discrete_distribution<size_t>(weights.begin(), weights.end());
  }
  bool empty() const { return skus_.empty(); }
  int32_t operator()(std::mt19937_64& random) { return skus_[pick_(random)]; }

 private:
  std::vector<int32_t> skus_;
  std::discrete_distribution<size_t> pick_;
};

int64_t poisson(std::mt19937_64& random, double mean) {
  if (mean <= 0) return 0;
  return std::poisson_distribution<int64_t>(mean)(random);
}

double uniform(std::mt19937_64& random, double low, double high) {
  return std::uniform_real_distribution<double>(low, high)(random);
}

double profile_share(const std::vector<double>& profile, int64_t hour) {
  const double total = std::accumulate(profile.begin(), profile.end(), 0.0);
  return profile[static_cast<size_t>(hour % 24)] / total;
}

double mean_units_per_order(const Scenario& scenario) {
  if (scenario.units_per_order_max < 2) return 1;
  const double multi_mean = (2.0 + static_cast<double>(scenario.units_per_order_max)) / 2.0;
  return kSingleUnitShare + (1 - kSingleUnitShare) * multi_mean;
}

int32_t order_quantity(std::mt19937_64& random, const Scenario& scenario) {
  if (scenario.units_per_order_max < 2 || uniform(random, 0, 1) < kSingleUnitShare) return 1;
  return static_cast<int32_t>(
      std::uniform_int_distribution<int64_t>(2, scenario.units_per_order_max)(random));
}

// A returned unit's condition, by the scenario's shares (the rest needs inspection).
ReturnCondition return_condition(std::mt19937_64& random, const Scenario& scenario) {
  const double draw = uniform(random, 0, 1);
  if (draw < scenario.return_resellable_share) return ReturnCondition::resellable;
  if (draw < scenario.return_resellable_share + scenario.return_damaged_share) {
    return ReturnCondition::damaged;
  }
  return ReturnCondition::needs_inspection;
}

int64_t time_in_hour(std::mt19937_64& random, int64_t hour, double from = 0, double to = 1) {
  return hour * kHourMs + static_cast<int64_t>(uniform(random, from, to) * kHourMs);
}

}  // namespace

bool Layout::stocks(int64_t sku, int64_t location) const {
  const LocationKind kind = location_kinds[static_cast<size_t>(location)];
  if (dropship_only[static_cast<size_t>(sku)]) {
    return kind == LocationKind::dropship && sku_vendor[static_cast<size_t>(sku)] == location;
  }
  return kind != LocationKind::dropship;
}

Layout make_layout(const Scenario& scenario) {
  Layout layout;
  layout.skus = scenario.skus;
  for (int64_t i = 0; i < scenario.warehouses; ++i) {
    layout.location_ids.push_back(warehouse_id(i));
    layout.location_kinds.push_back(LocationKind::warehouse);
  }
  for (int64_t i = 0; i < scenario.stores; ++i) {
    layout.location_ids.push_back(store_id(i));
    layout.location_kinds.push_back(LocationKind::store);
  }
  const int64_t first_vendor = layout.locations();
  for (int64_t i = 0; i < scenario.dropship_vendors; ++i) {
    layout.location_ids.push_back(dropship_id(i));
    layout.location_kinds.push_back(LocationKind::dropship);
  }
  // The long tail (the least popular share) is dropship-only, spread over the vendors.
  const auto dropship_from = static_cast<int64_t>(
      std::llround(static_cast<double>(scenario.skus) * (1 - scenario.dropship_sku_share)));
  double total = 0;
  for (int64_t rank = 0; rank < scenario.skus; ++rank) {
    layout.sku_ids.push_back(sku_id(rank));
    const bool dropship = scenario.dropship_vendors > 0 && rank >= dropship_from;
    layout.dropship_only.push_back(dropship);
    layout.sku_vendor.push_back(
        dropship ? static_cast<int32_t>(first_vendor + rank % scenario.dropship_vendors) : -1);
    const double weight = 1.0 / std::pow(static_cast<double>(rank + 1), scenario.zipf_exponent);
    layout.popularity.push_back(weight);
    total += weight;
  }
  for (double& weight : layout.popularity) weight /= total;
  return layout;
}

DayScript make_day_script(const Scenario& scenario, uint64_t seed) {
  DayScript script;
  script.layout = make_layout(scenario);
  const Layout& layout = script.layout;
  std::mt19937_64 random(seed);
  const int64_t locations = layout.locations();
  const int64_t positions = layout.skus * locations;
  script.opening.assign(static_cast<size_t>(positions), 0);
  script.daily_demand.assign(static_cast<size_t>(positions), 0.0);

  std::vector<int32_t> all_skus(static_cast<size_t>(layout.skus));
  std::iota(all_skus.begin(), all_skus.end(), 0);
  std::vector<int32_t> store_skus;
  for (const int32_t sku : all_skus) {
    if (!layout.dropship_only[sku]) store_skus.push_back(sku);
  }
  double store_popularity = 0;
  for (const int32_t sku : store_skus) store_popularity += layout.popularity[sku];

  std::vector<int32_t> warehouses;
  std::vector<int32_t> stores;
  std::vector<int32_t> vendors;
  for (int32_t at = 0; at < locations; ++at) {
    switch (layout.location_kinds[at]) {
      case LocationKind::warehouse:
        warehouses.push_back(at);
        break;
      case LocationKind::store:
        stores.push_back(at);
        break;
      case LocationKind::dropship:
        vendors.push_back(at);
        break;
    }
  }
  // Store sizes vary: weights with mean 1.
  std::vector<double> store_weight;
  for (size_t i = 0; i < stores.size(); ++i) store_weight.push_back(uniform(random, 0.5, 1.5));
  if (!store_weight.empty()) {
    const double mean = std::accumulate(store_weight.begin(), store_weight.end(), 0.0) /
                        static_cast<double>(store_weight.size());
    for (double& weight : store_weight) weight /= mean;
  }

  // Expected daily demand per position: walk-ins at stores, pickups at stores, shipped
  // orders at the warehouses (or the stores when there are none, or the SKU's vendor).
  const double units_per_order = mean_units_per_order(scenario);
  double pickup_share = 0;
  double channel_share_total = 0;
  for (const ChannelSpec& channel : scenario.channels) channel_share_total += channel.share;
  for (const ChannelSpec& channel : scenario.channels) {
    pickup_share += channel.share / channel_share_total * channel.pickup_share;
  }
  const double online_units = static_cast<double>(scenario.online_orders_per_day) * units_per_order;
  for (int32_t sku = 0; sku < layout.skus; ++sku) {
    const double online = online_units * layout.popularity[sku];
    if (layout.dropship_only[sku]) {
      script.daily_demand[script.position(sku, layout.sku_vendor[sku])] += online;
      continue;
    }
    const double shipped = online * (1 - pickup_share);
    const std::vector<int32_t>& shippers = warehouses.empty() ? stores : warehouses;
    for (const int32_t at : shippers) {
      script.daily_demand[script.position(sku, at)] +=
          shipped / static_cast<double>(shippers.size());
    }
    for (size_t i = 0; i < stores.size(); ++i) {
      const double walk_in = static_cast<double>(scenario.walk_in_units_per_store_day) *
                             store_weight[i] * layout.popularity[sku] / store_popularity;
      const double pickup =
          online * pickup_share * store_weight[i] / static_cast<double>(stores.size());
      script.daily_demand[script.position(sku, stores[i])] += walk_in + pickup;
    }
  }
  // Opening stock: a random number of days of cover, rounded at random (so a slow SKU
  // has a unit somewhere now and then).
  for (int32_t sku = 0; sku < layout.skus; ++sku) {
    for (int32_t at = 0; at < locations; ++at) {
      if (!layout.stocks(sku, at)) continue;
      double cover = scenario.dropship_cover_days;
      if (layout.location_kinds[at] == LocationKind::warehouse) {
        cover = uniform(random, scenario.warehouse_cover_days_min,
                        scenario.warehouse_cover_days_max + 1e-9);
      } else if (layout.location_kinds[at] == LocationKind::store) {
        cover =
            uniform(random, scenario.store_cover_days_min, scenario.store_cover_days_max + 1e-9);
      }
      const double units = script.daily_demand[script.position(sku, at)] * cover;
      script.opening[script.position(sku, at)] =
          static_cast<int64_t>(std::floor(units + uniform(random, 0, 1)));
    }
  }

  SkuPicker any_sku(layout, all_skus);
  SkuPicker store_sku(layout, store_skus);
  std::vector<SkuPicker> vendor_sku;
  for (const int32_t vendor : vendors) {
    std::vector<int32_t> skus;
    for (const int32_t sku : all_skus) {
      if (layout.sku_vendor[sku] == vendor) skus.push_back(sku);
    }
    vendor_sku.emplace_back(layout, std::move(skus));
  }
  std::vector<Happening>& out = script.happenings;
  const int64_t hours = scenario.hours;

  for (int64_t hour = 0; hour < hours; ++hour) {
    // Online orders per channel.
    const double online_share = profile_share(scenario.online_hourly_profile, hour);
    for (size_t channel = 0; channel < scenario.channels.size(); ++channel) {
      const ChannelSpec& spec = scenario.channels[channel];
      const double mean = static_cast<double>(scenario.online_orders_per_day) * spec.share /
                          channel_share_total * online_share;
      for (int64_t n = poisson(random, mean); n > 0; --n) {
        Happening order;
        order.kind = HappeningKind::online_order;
        order.at_ms = time_in_hour(random, hour);
        order.channel = static_cast<uint8_t>(channel);
        order.sku = any_sku(random);
        order.quantity = order_quantity(random, scenario);
        if (spec.pickup && !layout.dropship_only[order.sku] && !stores.empty() &&
            uniform(random, 0, 1) < spec.pickup_share) {
          order.pickup = true;
          order.location =
              stores[std::uniform_int_distribution<size_t>(0, stores.size() - 1)(random)];
        }
        out.push_back(order);
      }
    }
    // Spikes: extra orders on their SKUs and channels while they run.
    for (const SpikeSpec& spike : scenario.spikes) {
      const double from = std::max(spike.start_hour, static_cast<double>(hour));
      const double to = std::min(spike.start_hour + spike.hours, static_cast<double>(hour + 1));
      if (to <= from) continue;
      std::vector<int32_t> skus;
      double popularity = 0;
      for (int64_t rank = spike.sku_first_rank; rank < spike.sku_first_rank + spike.sku_count;
           ++rank) {
        skus.push_back(static_cast<int32_t>(rank));
        popularity += layout.popularity[static_cast<size_t>(rank)];
      }
      SkuPicker spike_sku(layout, skus);
      for (const std::string& channel_id : spike.channels) {
        size_t channel = 0;
        while (scenario.channels[channel].id != channel_id) ++channel;
        const ChannelSpec& spec = scenario.channels[channel];
        const double mean = static_cast<double>(scenario.online_orders_per_day) * spec.share /
                            channel_share_total * online_share * popularity * (to - from) *
                            (spike.multiplier - 1);
        for (int64_t n = poisson(random, mean); n > 0; --n) {
          Happening order;
          order.kind = HappeningKind::online_order;
          order.at_ms = time_in_hour(random, hour, from - static_cast<double>(hour),
                                     to - static_cast<double>(hour));
          order.channel = static_cast<uint8_t>(channel);
          order.sku = spike_sku(random);
          order.quantity = order_quantity(random, scenario);
          out.push_back(order);
        }
      }
    }
    // Stores: walk-ins, shrink, counts, returns.
    const double store_share = profile_share(scenario.store_hourly_profile, hour);
    for (size_t i = 0; i < stores.size() && !store_sku.empty(); ++i) {
      const double walk_ins =
          static_cast<double>(scenario.walk_in_units_per_store_day) * store_weight[i] * store_share;
      for (int64_t n = poisson(random, walk_ins); n > 0; --n) {
        out.push_back({.at_ms = time_in_hour(random, hour),
                       .kind = HappeningKind::walk_in,
                       .sku = store_sku(random),
                       .location = stores[i]});
      }
      for (int64_t n = poisson(random, walk_ins * scenario.return_rate); n > 0; --n) {
        Happening back{.at_ms = time_in_hour(random, hour),
                       .kind = HappeningKind::return_item,
                       .sku = store_sku(random),
                       .location = stores[i]};
        back.condition = return_condition(random, scenario);
        out.push_back(back);
      }
      const double shrink = static_cast<double>(scenario.shrink_units_per_store_day) * store_share;
      for (int64_t n = poisson(random, shrink); n > 0; --n) {
        out.push_back({.at_ms = time_in_hour(random, hour),
                       .kind = HappeningKind::shrink,
                       .sku = store_sku(random),
                       .location = stores[i]});
      }
      const double counts = static_cast<double>(scenario.counts_per_store_day) * store_share;
      for (int64_t n = poisson(random, counts); n > 0; --n) {
        out.push_back({.at_ms = time_in_hour(random, hour),
                       .kind = HappeningKind::count,
                       .sku = store_sku(random),
                       .location = stores[i]});
      }
    }
    // Online returns come back to the warehouses.
    if (!warehouses.empty() && !store_sku.empty()) {
      const double returns =
          online_units * (1 - pickup_share) * online_share * scenario.return_rate;
      for (int64_t n = poisson(random, returns); n > 0; --n) {
        Happening back{.at_ms = time_in_hour(random, hour),
                       .kind = HappeningKind::return_item,
                       .sku = store_sku(random),
                       .location = warehouses[std::uniform_int_distribution<size_t>(
                           0, warehouses.size() - 1)(random)]};
        back.condition = return_condition(random, scenario);
        out.push_back(back);
      }
    }
    // Dropship vendors sell through other retailers too.
    for (size_t v = 0; v < vendors.size(); ++v) {
      if (vendor_sku[v].empty()) continue;
      const double mean = static_cast<double>(scenario.dropship_other_units_per_vendor_day) / 24;
      for (int64_t n = poisson(random, mean); n > 0; --n) {
        out.push_back({.at_ms = time_in_hour(random, hour),
                       .kind = HappeningKind::vendor_sale,
                       .sku = vendor_sku[v](random),
                       .location = vendors[v]});
      }
    }
  }
  // Vendor trucks: purchase orders expected during the working day, some late or short.
  const int64_t days = (hours + 23) / 24;
  for (int64_t day = 0; day < days && !store_sku.empty(); ++day) {
    for (const int32_t warehouse : warehouses) {
      for (int64_t n = 0; n < scenario.receipts_per_warehouse_day; ++n) {
        PurchaseOrderPlan po;
        po.id = "PO-" + layout.location_ids[warehouse] + "-" +
                std::to_string(script.purchase_orders.size() + 1);
        po.sku = store_sku(random);
        po.location = warehouse;
        po.ordered = std::max<int64_t>(
            1, std::llround(script.daily_demand[script.position(po.sku, warehouse)] *
                            uniform(random, 1, 3)));
        po.received = po.ordered;
        if (uniform(random, 0, 1) < scenario.receipt_short_share) {
          po.received =
              std::llround(static_cast<double>(po.ordered) * (1 - scenario.receipt_short_fraction));
        }
        po.expected_ms = time_in_hour(random, day * 24 + 5, 0, 12);
        po.arrives_ms = po.expected_ms;
        if (uniform(random, 0, 1) < scenario.receipt_late_share) {
          po.arrives_ms +=
              static_cast<int64_t>(uniform(random, 0, scenario.receipt_late_hours_max) * kHourMs);
        }
        if (po.arrives_ms < hours * kHourMs && po.received > 0) {
          out.push_back({.at_ms = po.arrives_ms,
                         .kind = HappeningKind::receipt,
                         .sku = po.sku,
                         .location = warehouse,
                         .quantity = static_cast<int32_t>(po.received),
                         .purchase_order = static_cast<int32_t>(script.purchase_orders.size())});
        }
        script.purchase_orders.push_back(std::move(po));
      }
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Happening& a, const Happening& b) { return a.at_ms < b.at_ms; });
  STOCKD_ASSERT(out.empty() || out.back().at_ms < hours * kHourMs);
  return script;
}

}  // namespace stockd::sim
