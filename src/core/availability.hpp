// What a channel may sell, and why (DESIGN §2). The same functions answer availability
// queries and guard reservations, so what is shown is exactly what can be promised.
// Pure: positions and `now` are passed in.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "core/catalog.hpp"
#include "core/forecast.hpp"
#include "core/position.hpp"

namespace stockd {

// Why a unit is being sold: shipping (to a shopper) or pickup at the store itself.
enum class Fulfilment : uint8_t { ship = 1, pickup = 2 };

struct SellableRule {
  int64_t buffer_units = 0;          // static floor
  int64_t buffer_percent = 0;        // 0..100 of available, rounded up
  int64_t sync_latency_seconds = 0;  // dynamic buffer: expected sales in this time
  int64_t protected_units = 0;       // a store's protected_min, except for its own pickup
  int64_t count_sla_hours = 0;       // pickup: nothing is sellable unless counted within this
  double demand_factor = 1.0;        // promotions running: scales the dynamic buffer
};

// The rule for `channel` at `location`. Protected store units are kept out of every
// channel but the store's own pickup.
SellableRule sellable_rule(const Channel& channel, const Location& location,
                           Fulfilment fulfilment = Fulfilment::ship);

// The dynamic buffer is what is expected to sell during the channel's sync latency t
// (velocity × t × any promotion's factor); for a fast mover (core/forecast.hpp) it also
// covers the forecast's error at 95 %: + 1.645 σ_d √(t in days) × the factor.
inline constexpr double kFastMoverBufferZ = 1.6449;

struct BufferBreakdown {
  int64_t static_units = 0;
  int64_t percent_units = 0;
  int64_t dynamic_units = 0;
  int64_t applied = 0;  // max of the three (0 when nothing is available)
};
BufferBreakdown buffer_for(const Position& position, const SellableRule& rule, Timestamp now);

// max(0, available − buffer − protected); 0 when the rule wants a fresh count and the
// last one is older than count_sla_hours.
int64_t sellable(const Position& position, const SellableRule& rule, Timestamp now);
bool count_fresh(const Position& position, int64_t count_sla_hours, Timestamp now);

// Why a location contributes nothing (or less than its stock). Names are wire codes.
enum class LocationReason : uint8_t {
  contributes = 0,
  no_stock = 1,          // available <= 0
  below_buffer = 2,      // everything available is held back as buffer
  protected_stock = 3,   // what is left after the buffer is protected (wire: "protected")
  out_of_radius = 4,     // a store farther from the shopper than the radius
  not_in_pool = 5,       // named by the request, but not in the channel's pool
  unknown_location = 6,  // in the pool but no longer registered
};
std::string_view location_reason_name(LocationReason reason);

enum class PickupReason : uint8_t {
  eligible = 0,
  not_offered = 1,  // the channel does not offer pickup
  not_a_store = 2,
  insufficient_on_hand = 3,  // on-hand after buffer does not cover the quantity
  count_stale = 4,           // the last cycle count is older than count_sla_hours
  never_counted = 5,
};
std::string_view pickup_reason_name(PickupReason reason);

struct PickupCheck {
  bool eligible = false;
  bool on_hand_covers = false;  // signal 1: on-hand after buffer covers the quantity
  bool count_fresh = false;     // signal 2: last count within the SLA
  PickupReason reason = PickupReason::not_offered;  // the first failing signal
  int64_t sellable_units = 0;
};
PickupCheck check_pickup(const Channel& channel, const Location& location, const Position& position,
                         int64_t quantity, Timestamp now);

struct GeoPoint {
  double lat = 0;
  double lon = 0;
};
double distance_km(GeoPoint a, GeoPoint b);  // great-circle (haversine)

struct AvailabilityRequest {
  int64_t quantity = 1;             // for pickup checks
  std::optional<GeoPoint> shopper;  // with radius_km: stores farther away ship nothing
  double radius_km = 0;
  std::string only_location;  // "" = the whole pool
  std::string sku;            // for the promotions that scale dynamic buffers
  Timestamp now{};
};

struct LocationAvailability {
  std::string location;
  LocationType type = LocationType::warehouse;
  int64_t pool_priority = 0;
  Position position;
  int64_t sellable_units = 0;
  BufferBreakdown buffer;
  int64_t protected_units = 0;
  LocationReason reason = LocationReason::contributes;
  std::optional<double> distance_km;
  std::optional<PickupCheck> pickup;  // stores on pickup channels
};

struct ChannelAvailability {
  int64_t total = 0;
  double demand_factor = 1.0;  // promotions running: dynamic buffers were scaled by this
  std::vector<LocationAvailability> locations;  // pool order (priority, then as listed)
};

using PositionLookup = std::function<const Position*(std::string_view location)>;

ChannelAvailability channel_availability(const Channel& channel, const Catalog& catalog,
                                         const PositionLookup& position_at,
                                         const AvailabilityRequest& request);

// The channel's pool, most preferred first (lower priority number first, then order).
std::vector<ChannelLocation> pool_in_order(const Channel& channel);

}  // namespace stockd
