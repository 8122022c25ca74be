#include "core/catalog.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "base/assert.hpp"
#include "base/limits.hpp"
#include "core/ids.hpp"

namespace stockd {
namespace {

template <typename Map>
auto find_in(const Map& map, std::string_view id) -> const typename Map::mapped_type* {
  const auto found = map.find(id);
  return found == map.end() ? nullptr : &found->second;
}

}  // namespace

std::string_view location_type_name(LocationType type) {
  switch (type) {
    case LocationType::warehouse:
      return "warehouse";
    case LocationType::store:
      return "store";
    case LocationType::dropship:
      return "dropship";
    case LocationType::virtual_:
      return "virtual";
  }
  STOCKD_UNREACHABLE();
}

std::optional<LocationType> location_type_from_name(std::string_view name) {
  for (const LocationType type : {LocationType::warehouse, LocationType::store,
                                  LocationType::dropship, LocationType::virtual_}) {
    if (location_type_name(type) == name) return type;
  }
  return std::nullopt;
}

std::string_view config_error_name(ConfigError error) {
  switch (error) {
    case ConfigError::none:
      return "none";
    case ConfigError::invalid_id:
      return "invalid_id";
    case ConfigError::invalid_location_type:
      return "invalid_location_type";
    case ConfigError::invalid_coordinates:
      return "invalid_coordinates";
    case ConfigError::negative_value:
      return "negative_value";
    case ConfigError::value_out_of_range:
      return "value_out_of_range";
    case ConfigError::unknown_location:
      return "unknown_location";
    case ConfigError::duplicate_location:
      return "duplicate_location";
    case ConfigError::text_too_long:
      return "text_too_long";
    case ConfigError::location_in_use:
      return "location_in_use";
    case ConfigError::not_found:
      return "not_found";
    case ConfigError::invalid_component:
      return "invalid_component";
    case ConfigError::unknown_channel:
      return "unknown_channel";
    case ConfigError::invalid_window:
      return "invalid_window";
    case ConfigError::unavailable:
      return "unavailable";
  }
  STOCKD_UNREACHABLE();
}

const Location* Catalog::find_location(std::string_view id) const {
  return find_in(locations_, id);
}
const Source* Catalog::find_source(std::string_view id) const { return find_in(sources_, id); }
const Channel* Catalog::find_channel(std::string_view id) const { return find_in(channels_, id); }
bool Catalog::feeds_a_channel(std::string_view location) const {
  for (const auto& [id, channel] : channels_) {
    for (const ChannelLocation& member : channel.locations) {
      if (member.id == location) return true;
    }
  }
  return false;
}

const Bundle* Catalog::find_bundle(std::string_view sku) const { return find_in(bundles_, sku); }

ConfigCheck Catalog::check(const Bundle& bundle) const {
  if (!is_valid_sku(bundle.id)) return {ConfigError::invalid_id, "sku"};
  if (bundle.components.empty() || bundle.components.size() > 50) {
    return {ConfigError::value_out_of_range, "components"};
  }
  std::set<std::string_view> seen;
  for (const BundleComponent& component : bundle.components) {
    if (!is_valid_sku(component.sku) || component.sku == bundle.id ||
        find_bundle(component.sku) != nullptr || !seen.insert(component.sku).second) {
      return {ConfigError::invalid_component, "components"};
    }
    if (component.quantity < 1 || component.quantity > 1000) {
      return {ConfigError::value_out_of_range, "components"};
    }
  }
  // A bundle cannot be a component of another bundle.
  for (const auto& [sku, other] : bundles_) {
    for (const BundleComponent& component : other.components) {
      if (component.sku == bundle.id) return {ConfigError::invalid_component, "sku"};
    }
  }
  return {};
}

void Catalog::put(Bundle bundle) {
  STOCKD_ASSERT(check(bundle).ok());
  std::string id = bundle.id;
  bundles_.insert_or_assign(std::move(id), std::move(bundle));
}

ConfigCheck Catalog::check(const Promotion& promotion) const {
  if (!is_valid_id(promotion.id)) return {ConfigError::invalid_id, "id"};
  if (!promotion.sku.empty() && !is_valid_sku(promotion.sku))
    return {ConfigError::invalid_id, "sku"};
  if (find_channel(promotion.channel) == nullptr) return {ConfigError::unknown_channel, "channel"};
  if (promotion.to <= promotion.from) return {ConfigError::invalid_window, "to"};
  if (!(promotion.expected_uplift > 0 && promotion.expected_uplift <= kPromotionUpliftMax)) {
    return {ConfigError::value_out_of_range, "expected_uplift"};
  }
  return {};
}

void Catalog::put(Promotion promotion) {
  STOCKD_ASSERT(check(promotion).ok());
  std::string id = promotion.id;
  promotions_.insert_or_assign(std::move(id), std::move(promotion));
}

bool Catalog::remove_promotion(std::string_view id) {
  const auto found = promotions_.find(id);
  if (found == promotions_.end()) return false;
  promotions_.erase(found);
  return true;
}

double Catalog::demand_factor(std::string_view sku, std::string_view channel, Timestamp at) const {
  double factor = 1.0;
  for (const auto& [id, promotion] : promotions_) {
    if (promotion.channel == channel && (promotion.sku.empty() || promotion.sku == sku) &&
        promotion.from <= at && at < promotion.to) {
      factor += promotion.expected_uplift;
    }
  }
  return factor;
}

double Catalog::location_demand_factor(std::string_view sku, std::string_view location,
                                       Timestamp from, Timestamp to) const {
  if (promotions_.empty() || to <= from) return 1.0;
  size_t channels_fed = 0;
  for (const auto& [id, channel] : channels_) {
    for (const ChannelLocation& member : channel.locations) {
      if (member.id == location) {
        ++channels_fed;
        break;
      }
    }
  }
  if (channels_fed == 0) return 1.0;
  double uplift = 0;
  const double span = std::chrono::duration<double>(to - from).count();
  for (const auto& [id, promotion] : promotions_) {
    if (!promotion.sku.empty() && promotion.sku != sku) continue;
    const Channel* channel = find_channel(promotion.channel);
    if (channel == nullptr) continue;
    const bool fed =
        std::any_of(channel->locations.begin(), channel->locations.end(),
                    [&](const ChannelLocation& member) { return member.id == location; });
    if (!fed) continue;
    const Timestamp start = std::max(from, promotion.from);
    const Timestamp end = std::min(to, promotion.to);
    if (end <= start) continue;
    uplift += promotion.expected_uplift * std::chrono::duration<double>(end - start).count() / span;
  }
  return 1.0 + uplift / static_cast<double>(channels_fed);
}

bool Catalog::remove_bundle(std::string_view sku) {
  const auto found = bundles_.find(sku);
  if (found == bundles_.end()) return false;
  bundles_.erase(found);
  return true;
}

ConfigCheck Catalog::check(const Location& location) const {
  if (!is_valid_id(location.id)) return {ConfigError::invalid_id, "id"};
  if (location.name.size() > limits::text_length_max) return {ConfigError::text_too_long, "name"};
  if (!std::isfinite(location.lat) || location.lat < -90 || location.lat > 90) {
    return {ConfigError::invalid_coordinates, "lat"};
  }
  if (!std::isfinite(location.lon) || location.lon < -180 || location.lon > 180) {
    return {ConfigError::invalid_coordinates, "lon"};
  }
  if (location.ship_cost_cents < 0) return {ConfigError::negative_value, "ship_cost"};
  if (location.protected_min < 0) return {ConfigError::negative_value, "protected_min"};
  if (location.ship_radius_km < 0) return {ConfigError::negative_value, "ship_radius_km"};
  if (location.ship_radius_km > 40'000) {
    return {ConfigError::value_out_of_range, "ship_radius_km"};
  }
  if (location.handling_days < 0) return {ConfigError::negative_value, "handling_days"};
  if (location.handling_days > 365) return {ConfigError::value_out_of_range, "handling_days"};
  if (location.protected_min > limits::quantity_max) {
    return {ConfigError::value_out_of_range, "protected_min"};
  }
  if (location.count_sla_hours < 0) return {ConfigError::negative_value, "count_sla_hours"};
  if (location.count_sla_hours > 24 * 366) {
    return {ConfigError::value_out_of_range, "count_sla_hours"};
  }
  if (locations_.size() >= limits::locations_max && find_location(location.id) == nullptr) {
    return {ConfigError::value_out_of_range, "id"};
  }
  return {};
}

ConfigCheck Catalog::check(const Source& source) const {
  if (!is_valid_id(source.id)) return {ConfigError::invalid_id, "id"};
  if (source.priority < -1'000'000 || source.priority > 1'000'000) {
    return {ConfigError::value_out_of_range, "priority"};
  }
  if (source.webhook_secrets.size() > 8)
    return {ConfigError::value_out_of_range, "webhook_secrets"};
  for (const std::string& secret : source.webhook_secrets) {
    // The base64 itself is checked by the adapters that read it.
    if (!secret.starts_with("whsec_") || secret.size() < 38 || secret.size() > 200) {
      return {ConfigError::value_out_of_range, "webhook_secrets"};
    }
  }
  if (source.require_signature && source.webhook_secrets.empty()) {
    return {ConfigError::value_out_of_range, "require_signature"};
  }
  return {};
}

ConfigCheck Catalog::check(const Channel& channel) const {
  if (!is_valid_id(channel.id)) return {ConfigError::invalid_id, "id"};
  std::set<std::string_view> seen;
  for (const ChannelLocation& member : channel.locations) {
    if (find_location(member.id) == nullptr) return {ConfigError::unknown_location, "locations"};
    if (!seen.insert(member.id).second) return {ConfigError::duplicate_location, "locations"};
  }
  if (channel.buffer_units < 0) return {ConfigError::negative_value, "buffer.units"};
  if (channel.buffer_units > limits::quantity_max) {
    return {ConfigError::value_out_of_range, "buffer.units"};
  }
  if (channel.buffer_percent < 0 || channel.buffer_percent > 100) {
    return {ConfigError::value_out_of_range, "buffer.percent"};
  }
  if (channel.degraded_buffer_units < 0 || channel.degraded_buffer_units > limits::quantity_max) {
    return {ConfigError::value_out_of_range, "degraded_buffer.units"};
  }
  if (channel.degraded_buffer_percent < 0 || channel.degraded_buffer_percent > 100) {
    return {ConfigError::value_out_of_range, "degraded_buffer.percent"};
  }
  if (channel.sync_latency_seconds < 0 || channel.sync_latency_seconds > 7 * 24 * 3600) {
    return {ConfigError::value_out_of_range, "sync_latency_seconds"};
  }
  if (channel.reservation_quantity_min < 1 ||
      channel.reservation_quantity_min > limits::quantity_max) {
    return {ConfigError::value_out_of_range, "reservation_quantity.min"};
  }
  if (channel.reservation_quantity_max != 0 &&
      (channel.reservation_quantity_max < channel.reservation_quantity_min ||
       channel.reservation_quantity_max > limits::quantity_max)) {
    return {ConfigError::value_out_of_range, "reservation_quantity.max"};
  }
  if (channel.sku_limits.size() > 10'000) return {ConfigError::value_out_of_range, "sku_limits"};
  std::set<std::string_view> limited;
  for (const SkuQuantityLimit& limit : channel.sku_limits) {
    if (!is_valid_sku(limit.sku) || !limited.insert(limit.sku).second) {
      return {ConfigError::invalid_id, "sku_limits"};
    }
    if (limit.min < 1 || limit.min > limits::quantity_max ||
        (limit.max != 0 && (limit.max < limit.min || limit.max > limits::quantity_max))) {
      return {ConfigError::value_out_of_range, "sku_limits"};
    }
  }
  if (channel.reservation_ttl_seconds < 1 ||
      channel.reservation_ttl_seconds > limits::reservation_ttl_seconds_max) {
    return {ConfigError::value_out_of_range, "reservation_ttl_seconds"};
  }
  return {};
}

void Catalog::put(Location location) {
  STOCKD_ASSERT(check(location).ok());
  std::string id = location.id;
  locations_.insert_or_assign(std::move(id), std::move(location));
}
void Catalog::put(Source source) {
  STOCKD_ASSERT(check(source).ok());
  std::string id = source.id;
  sources_.insert_or_assign(std::move(id), std::move(source));
}
void Catalog::put(Channel channel) {
  STOCKD_ASSERT(check(channel).ok());
  std::string id = channel.id;
  channels_.insert_or_assign(std::move(id), std::move(channel));
}

bool Catalog::remove_location(std::string_view id) {
  const auto found = locations_.find(id);
  if (found == locations_.end()) return false;
  locations_.erase(found);
  return true;
}
bool Catalog::remove_source(std::string_view id) {
  const auto found = sources_.find(id);
  if (found == sources_.end()) return false;
  sources_.erase(found);
  return true;
}
bool Catalog::remove_channel(std::string_view id) {
  const auto found = channels_.find(id);
  if (found == channels_.end()) return false;
  channels_.erase(found);
  return true;
}

Channel degraded_view(const Channel& channel) {
  Channel view = channel;
  view.buffer_units = std::min(channel.buffer_units + channel.degraded_buffer_units,
                               static_cast<int64_t>(limits::quantity_max));
  view.buffer_percent =
      std::min<int64_t>(channel.buffer_percent + channel.degraded_buffer_percent, 100);
  return view;
}

}  // namespace stockd
