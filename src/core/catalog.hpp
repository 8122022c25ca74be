// The configuration the rules read: locations (nodes), sources (systems of record)
// and channels. The engine keeps an immutable snapshot and swaps it whole when an
// entry changes, so a batch always sees one consistent catalog.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"

namespace stockd {

enum class LocationType : uint8_t { warehouse = 1, store = 2, dropship = 3, virtual_ = 4 };
std::string_view location_type_name(LocationType type);
std::optional<LocationType> location_type_from_name(std::string_view name);

struct Location {
  std::string id;
  LocationType type = LocationType::warehouse;
  std::string name;
  double lat = 0;  // coordinates are configuration, never quantities
  double lon = 0;
  int64_t priority = 0;
  int64_t ship_cost_cents = 0;
  int64_t protected_min = 0;    // units kept back from ship-from-store
  int64_t count_sla_hours = 0;  // 0 = no pickup SLA on counts
  // Order routing: the node ships only to shoppers within this distance (0 = any
  // distance; the ship-from-store radius), and needs this long before a parcel leaves.
  int64_t ship_radius_km = 0;
  int64_t handling_days = 1;
  // Returns routing: the node takes damaged and to-be-inspected returns.
  bool accepts_damaged = false;
  friend bool operator==(const Location&, const Location&) = default;
};

struct Source {
  std::string id;
  int64_t priority = 0;  // higher wins
  // Inbound webhooks: Standard Webhooks secrets (`whsec_...`) the source signs with;
  // several while it rotates. With require_signature, unsigned requests are refused.
  std::vector<std::string> webhook_secrets;
  bool require_signature = false;
  friend bool operator==(const Source&, const Source&) = default;
};

struct ChannelLocation {
  std::string id;
  int64_t priority = 0;
  friend bool operator==(const ChannelLocation&, const ChannelLocation&) = default;
};

// Anti-hoarding limits for one SKU on a channel (max 0 = no maximum).
struct SkuQuantityLimit {
  std::string sku;
  int64_t min = 1;
  int64_t max = 0;
  friend bool operator==(const SkuQuantityLimit&, const SkuQuantityLimit&) = default;
};

struct Channel {
  std::string id;
  std::vector<ChannelLocation> locations;  // the pool, in order of preference
  int64_t buffer_units = 0;
  int64_t buffer_percent = 0;  // 0..100
  int64_t sync_latency_seconds = 0;
  int64_t reservation_ttl_seconds = 900;
  bool pickup = false;
  bool backorder = false;
  // Anti-hoarding: the quantity one reservation may hold (max 0 = no maximum).
  int64_t reservation_quantity_min = 1;
  int64_t reservation_quantity_max = 0;
  std::vector<SkuQuantityLimit> sku_limits;  // per-SKU overrides of the two above
  // While the channel is degraded (its sync destination fails or lags), this extra
  // buffer is added to the static and percent ones: it sells conservatively.
  int64_t degraded_buffer_units = 0;
  int64_t degraded_buffer_percent = 10;

  // The limits that apply to `sku` on this channel: its override, or the channel's.
  std::pair<int64_t, int64_t> quantity_limits(std::string_view sku) const {
    for (const SkuQuantityLimit& limit : sku_limits) {
      if (limit.sku == sku) return {limit.min, limit.max};
    }
    return {reservation_quantity_min, reservation_quantity_max};
  }
  friend bool operator==(const Channel&, const Channel&) = default;
};

// The channel as it sells while degraded: its degraded buffer added to its buffer.
Channel degraded_view(const Channel& channel);

// A kit or bundle: a SKU with no stock of its own, made of components.
struct BundleComponent {
  std::string sku;
  int64_t quantity = 1;  // per bundle
  friend bool operator==(const BundleComponent&, const BundleComponent&) = default;
};
struct Bundle {
  std::string id;  // the bundle's SKU
  std::vector<BundleComponent> components;
  friend bool operator==(const Bundle&, const Bundle&) = default;
};

// A promotion: demand for `sku` ("" = every SKU) on `channel` is expected to rise by
// `expected_uplift` (0.3 = +30 %) from `from` until `to`. Raises the forecast of the
// locations the channel sells from and the channel's dynamic buffers in the window.
struct Promotion {
  std::string id;
  std::string sku;
  std::string channel;
  Timestamp from{};
  Timestamp to{};
  double expected_uplift = 0;
  friend bool operator==(const Promotion&, const Promotion&) = default;
};
inline constexpr double kPromotionUpliftMax = 10.0;

// Why a configuration entry is refused. Names are the wire codes.
enum class ConfigError : uint8_t {
  none = 0,
  invalid_id = 1,
  invalid_location_type = 2,
  invalid_coordinates = 3,
  negative_value = 4,
  value_out_of_range = 5,
  unknown_location = 6,
  duplicate_location = 7,
  text_too_long = 8,
  location_in_use = 9,  // a channel's pool names it
  not_found = 10,
  invalid_component = 11,  // a bundle component that is itself a bundle, the bundle, or repeated
  unknown_channel = 12,
  invalid_window = 13,  // a promotion that ends before it starts
  unavailable = 14,     // cluster mode: the change could not go through the log in time
};
std::string_view config_error_name(ConfigError error);

struct ConfigCheck {
  ConfigError error = ConfigError::none;
  std::string field;  // the offending field
  bool ok() const { return error == ConfigError::none; }
};

class Catalog {
 public:
  const Location* find_location(std::string_view id) const;
  const Source* find_source(std::string_view id) const;
  const Channel* find_channel(std::string_view id) const;
  const Bundle* find_bundle(std::string_view sku) const;
  // Whether some channel's pool includes the location (its stock is sold somewhere).
  bool feeds_a_channel(std::string_view location) const;
  const std::map<std::string, Bundle, std::less<>>& bundles() const { return bundles_; }
  const std::map<std::string, Promotion, std::less<>>& promotions() const { return promotions_; }

  // Demand multiplier for `sku` on `channel` at `at`: 1 + the uplifts of the promotions
  // running then (a channel's dynamic buffer is multiplied by it).
  double demand_factor(std::string_view sku, std::string_view channel, Timestamp at) const;
  // The same for a location over [from, to): each promotion on a channel the location
  // feeds adds its uplift × the share of the span it covers ÷ the number of channels the
  // location feeds (their demand is assumed to split evenly).
  double location_demand_factor(std::string_view sku, std::string_view location, Timestamp from,
                                Timestamp to) const;

  const std::map<std::string, Location, std::less<>>& locations() const { return locations_; }
  const std::map<std::string, Source, std::less<>>& sources() const { return sources_; }
  const std::map<std::string, Channel, std::less<>>& channels() const { return channels_; }

  // Checks an entry against the rules and this catalog; changes nothing.
  ConfigCheck check(const Location& location) const;
  ConfigCheck check(const Source& source) const;
  ConfigCheck check(const Channel& channel) const;
  ConfigCheck check(const Bundle& bundle) const;
  ConfigCheck check(const Promotion& promotion) const;

  // Insert or replace. The entry must have passed check().
  void put(Location location);
  void put(Source source);
  void put(Channel channel);
  void put(Bundle bundle);
  void put(Promotion promotion);
  bool remove_promotion(std::string_view id);
  bool remove_bundle(std::string_view sku);
  bool remove_location(std::string_view id);
  bool remove_source(std::string_view id);
  bool remove_channel(std::string_view id);

 private:
  std::map<std::string, Location, std::less<>> locations_;
  std::map<std::string, Source, std::less<>> sources_;
  std::map<std::string, Channel, std::less<>> channels_;
  std::map<std::string, Bundle, std::less<>> bundles_;
  std::map<std::string, Promotion, std::less<>> promotions_;
};

}  // namespace stockd
