#include "core/availability.hpp"

#include <algorithm>
#include <cmath>

#include "base/assert.hpp"
#include "base/limits.hpp"
#include "core/velocity.hpp"

namespace stockd {

SellableRule sellable_rule(const Channel& channel, const Location& location,
                           Fulfilment fulfilment) {
  SellableRule rule;
  rule.buffer_units = channel.buffer_units;
  rule.buffer_percent = channel.buffer_percent;
  rule.sync_latency_seconds = channel.sync_latency_seconds;
  const bool own_pickup = fulfilment == Fulfilment::pickup;
  rule.protected_units =
      location.type == LocationType::store && !own_pickup ? location.protected_min : 0;
  if (own_pickup) rule.count_sla_hours = location.count_sla_hours;
  return rule;
}

BufferBreakdown buffer_for(const Position& position, const SellableRule& rule, Timestamp now) {
  STOCKD_ASSERT(rule.buffer_percent >= 0 && rule.buffer_percent <= 100);
  BufferBreakdown buffer;
  const int64_t available_units = available(position);
  buffer.static_units = rule.buffer_units;
  if (available_units > 0) {
    STOCKD_ASSERT(available_units <= 4 * limits::quantity_max * 1000);  // no overflow below
    buffer.percent_units = (available_units * rule.buffer_percent + 99) / 100;
  }
  if (rule.sync_latency_seconds > 0) {
    const DemandNow forecast = demand_now(position.demand, now);
    const double latency_days = static_cast<double>(rule.sync_latency_seconds) / 86'400.0;
    double units = sales_rate_per_day(position, now) * latency_days;
    if (forecast.velocity == VelocityClass::fast) {
      units += kFastMoverBufferZ * forecast.daily_sigma * std::sqrt(latency_days);
    }
    buffer.dynamic_units =
        static_cast<int64_t>(std::floor(std::max(0.0, units * rule.demand_factor) + 0.5));
  }
  buffer.applied = available_units > 0
                       ? std::max({buffer.static_units, buffer.percent_units, buffer.dynamic_units})
                       : 0;
  return buffer;
}

bool count_fresh(const Position& position, int64_t count_sla_hours, Timestamp now) {
  if (count_sla_hours <= 0) return true;
  if (micros_of(position.last_count_at) == 0) return false;
  return now - position.last_count_at <= std::chrono::hours{count_sla_hours};
}

int64_t sellable(const Position& position, const SellableRule& rule, Timestamp now) {
  if (!count_fresh(position, rule.count_sla_hours, now)) return 0;
  const int64_t units =
      available(position) - buffer_for(position, rule, now).applied - rule.protected_units;
  return std::max<int64_t>(0, units);
}

std::string_view location_reason_name(LocationReason reason) {
  switch (reason) {
    case LocationReason::contributes:
      return "contributes";
    case LocationReason::no_stock:
      return "no_stock";
    case LocationReason::below_buffer:
      return "below_buffer";
    case LocationReason::protected_stock:
      return "protected";
    case LocationReason::out_of_radius:
      return "out_of_radius";
    case LocationReason::not_in_pool:
      return "not_in_pool";
    case LocationReason::unknown_location:
      return "unknown_location";
  }
  STOCKD_UNREACHABLE();
}

std::string_view pickup_reason_name(PickupReason reason) {
  switch (reason) {
    case PickupReason::eligible:
      return "eligible";
    case PickupReason::not_offered:
      return "not_offered";
    case PickupReason::not_a_store:
      return "not_a_store";
    case PickupReason::insufficient_on_hand:
      return "insufficient_on_hand";
    case PickupReason::count_stale:
      return "count_stale";
    case PickupReason::never_counted:
      return "never_counted";
  }
  STOCKD_UNREACHABLE();
}

PickupCheck check_pickup(const Channel& channel, const Location& location, const Position& position,
                         int64_t quantity, Timestamp now) {
  PickupCheck check;
  SellableRule on_hand_only = sellable_rule(channel, location, Fulfilment::pickup);
  on_hand_only.count_sla_hours = 0;  // the two signals are judged apart
  check.sellable_units = sellable(position, on_hand_only, now);
  check.on_hand_covers = check.sellable_units >= quantity;
  const bool counted = micros_of(position.last_count_at) > 0;
  check.count_fresh = count_fresh(position, location.count_sla_hours, now);
  if (!channel.pickup) {
    check.reason = PickupReason::not_offered;
  } else if (location.type != LocationType::store) {
    check.reason = PickupReason::not_a_store;
  } else if (!check.on_hand_covers) {
    check.reason = PickupReason::insufficient_on_hand;
  } else if (!check.count_fresh) {
    check.reason = counted ? PickupReason::count_stale : PickupReason::never_counted;
  } else {
    check.reason = PickupReason::eligible;
    check.eligible = true;
  }
  return check;
}

double distance_km(GeoPoint a, GeoPoint b) {
  constexpr double kEarthRadiusKm = 6371.0;
  constexpr double kRadians = 3.14159265358979323846 / 180.0;
  const double dlat = (b.lat - a.lat) * kRadians;
  const double dlon = (b.lon - a.lon) * kRadians;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.lat * kRadians) * std::cos(b.lat * kRadians) * std::sin(dlon / 2) *
                       std::sin(dlon / 2);
  return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(h)));
}

std::vector<ChannelLocation> pool_in_order(const Channel& channel) {
  std::vector<ChannelLocation> pool = channel.locations;
  std::stable_sort(
      pool.begin(), pool.end(),
      [](const ChannelLocation& a, const ChannelLocation& b) { return a.priority < b.priority; });
  return pool;
}

ChannelAvailability channel_availability(const Channel& channel, const Catalog& catalog,
                                         const PositionLookup& position_at,
                                         const AvailabilityRequest& request) {
  const double demand_factor = catalog.demand_factor(request.sku, channel.id, request.now);
  ChannelAvailability out;
  out.demand_factor = demand_factor;
  const Position empty;
  bool named_in_pool = request.only_location.empty();
  for (const ChannelLocation& member : pool_in_order(channel)) {
    if (!request.only_location.empty() && member.id != request.only_location) continue;
    named_in_pool = true;
    LocationAvailability entry;
    entry.location = member.id;
    entry.pool_priority = member.priority;
    const Location* location = catalog.find_location(member.id);
    if (location == nullptr) {
      entry.reason = LocationReason::unknown_location;
      out.locations.push_back(std::move(entry));
      continue;
    }
    entry.type = location->type;
    const Position* found = position_at(member.id);
    entry.position = found != nullptr ? *found : empty;
    SellableRule rule = sellable_rule(channel, *location);
    rule.demand_factor = demand_factor;
    entry.buffer = buffer_for(entry.position, rule, request.now);
    entry.protected_units = rule.protected_units;
    entry.sellable_units = sellable(entry.position, rule, request.now);
    const int64_t after_buffer = available(entry.position) - entry.buffer.applied;
    if (available(entry.position) <= 0) {
      entry.reason = LocationReason::no_stock;
    } else if (after_buffer <= 0) {
      entry.reason = LocationReason::below_buffer;
    } else if (entry.sellable_units == 0) {
      entry.reason = LocationReason::protected_stock;
    }
    if (request.shopper) {
      entry.distance_km = distance_km(*request.shopper, GeoPoint{location->lat, location->lon});
      if (location->type == LocationType::store && *entry.distance_km > request.radius_km) {
        entry.reason = LocationReason::out_of_radius;
        entry.sellable_units = 0;
      }
    }
    if (channel.pickup && location->type == LocationType::store) {
      entry.pickup =
          check_pickup(channel, *location, entry.position, request.quantity, request.now);
    }
    out.total += entry.sellable_units;
    out.locations.push_back(std::move(entry));
  }
  if (!named_in_pool) {
    LocationAvailability entry;
    entry.location = request.only_location;
    entry.reason = LocationReason::not_in_pool;
    out.locations.push_back(std::move(entry));
  }
  return out;
}

}  // namespace stockd
