// GET /v1/stock/{sku}, GET /v1/availability/{sku}?channel=C, POST /v1/availability/query.
#include <algorithm>
#include <boost/json.hpp>

#include <cmath>
#include <cstdlib>
#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "base/limits.hpp"
#include "codec/json.hpp"
#include "core/availability.hpp"
#include "core/ids.hpp"
#include "core/velocity.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

// Query options shared by the GET and the batch query: quantity (for pickup), the
// shopper's lat/lon with radius_km (ship-from-store), and one location.
struct QueryOptions {
  int64_t quantity = 1;
  std::optional<GeoPoint> shopper;
  double radius_km = 0;
  std::string location;
};

json::object availability_json(const StockView& view, const Channel& channel,
                               const Catalog& catalog, const QueryOptions& options, Timestamp now) {
  AvailabilityRequest request;
  request.quantity = options.quantity;
  request.shopper = options.shopper;
  request.radius_km = options.radius_km;
  request.only_location = options.location;
  request.now = now;
  request.sku = view.sku;
  const ChannelAvailability result = channel_availability(
      channel, catalog,
      [&](std::string_view location) -> const Position* {
        for (const PositionView& held : view.positions) {
          if (held.location == location) return &held.position;
        }
        return nullptr;
      },
      request);
  json::object out;
  out["sku"] = view.sku;
  out["channel"] = channel.id;
  // Read from the last durable state while the SKU's shard cannot write (see /readyz).
  if (view.from_last_durable_state) out["storage_degraded"] = true;
  out["available"] = result.total;
  out["promotion_factor"] = result.demand_factor;
  json::array locations;
  for (const LocationAvailability& entry : result.locations) {
    json::object item;
    item["location"] = entry.location;
    item["type"] = location_type_name(entry.type);
    item["priority"] = entry.pool_priority;
    item["on_hand"] = entry.position.on_hand;
    item["reserved"] = entry.position.reserved;
    item["allocated"] = entry.position.allocated;
    item["position_available"] = available(entry.position);
    item["available"] = entry.sellable_units;
    item["buffer"] = json::object{{"static", entry.buffer.static_units},
                                  {"percent", entry.buffer.percent_units},
                                  {"dynamic", entry.buffer.dynamic_units},
                                  {"applied", entry.buffer.applied}};
    item["velocity_class"] = velocity_class_name(velocity_class(entry.position.demand, now));
    item["protected"] = entry.protected_units;
    item["reason"] = location_reason_name(entry.reason);
    item["version"] = entry.position.version;
    item["sales_per_day"] = std::round(sales_rate_per_day(entry.position, now) * 1000) / 1000;
    if (entry.distance_km) item["distance_km"] = std::round(*entry.distance_km * 10) / 10;
    if (entry.pickup) {
      item["pickup"] = json::object{{"eligible", entry.pickup->eligible},
                                    {"reason", pickup_reason_name(entry.pickup->reason)},
                                    {"on_hand_covers", entry.pickup->on_hand_covers},
                                    {"count_fresh", entry.pickup->count_fresh}};
    }
    locations.push_back(std::move(item));
  }
  out["locations"] = std::move(locations);
  if (channel.backorder) {
    // Open POs at the pool's locations, first promise first by expected date.
    std::vector<const PurchaseOrder*> pos;
    for (const PurchaseOrder& po : view.purchase_orders) {
      for (const ChannelLocation& member : channel.locations) {
        if (member.id == po.location) pos.push_back(&po);
      }
    }
    const BackorderPlan plan = plan_backorder(pos, options.quantity);
    json::object backorder;
    backorder["available"] = plan.backorderable;
    if (plan.expected_at) {
      backorder["expected_at"] = format_rfc3339(*plan.expected_at);
      backorder["promise_to"] = format_rfc3339(*plan.expected_at + kPromiseWindow);
    }
    out["backorder"] = std::move(backorder);
  }
  return out;
}

// Parses a decimal number from a query parameter into `out`; false if it is not one.
bool parse_number(std::string_view text, double& out) {
  if (text.empty() || text.size() > 32) return false;
  std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(value)) return false;
  out = value;
  return true;
}

// Reads quantity, lat, lon, radius_km and location from `get` (query or body values);
// on a bad value returns the problem.
std::optional<HttpResponse> read_query_options(
    const std::function<std::optional<std::string>(std::string_view)>& get, QueryOptions& out) {
  if (const auto quantity = get("quantity")) {
    double value = 0;
    if (!parse_number(*quantity, value) || value < 1 || value > 1e9 || value != std::floor(value)) {
      return validation_problem("quantity", "quantity must be a whole number from 1");
    }
    out.quantity = static_cast<int64_t>(value);
  }
  const auto lat = get("lat");
  const auto lon = get("lon");
  const auto radius = get("radius_km");
  if (lat || lon || radius) {
    double lat_value = 0, lon_value = 0, radius_value = 0;
    if (!lat || !parse_number(*lat, lat_value) || lat_value < -90 || lat_value > 90) {
      return validation_problem("lat", "lat, lon and radius_km go together; lat is -90..90");
    }
    if (!lon || !parse_number(*lon, lon_value) || lon_value < -180 || lon_value > 180) {
      return validation_problem("lon", "lat, lon and radius_km go together; lon is -180..180");
    }
    if (!radius || !parse_number(*radius, radius_value) || radius_value < 0 ||
        radius_value > 20000) {
      return validation_problem("radius_km", "radius_km is 0..20000");
    }
    out.shopper = GeoPoint{lat_value, lon_value};
    out.radius_km = radius_value;
  }
  if (const auto location = get("location")) out.location = *location;
  return std::nullopt;
}

// A bundle's availability: at each pool location, the minimum over its components of
// what the channel may sell of each, divided by the quantity per bundle.
void bundle_availability(ApiContext& api, const Bundle& bundle,
                         std::shared_ptr<const Catalog> catalog, const Channel* channel,
                         std::shared_ptr<const Channel> degraded, QueryOptions options,
                         Respond respond) {
  struct Gather {
    std::mutex mutex;
    std::vector<StockView> views;
    size_t remaining = 0;
    bool overloaded = false;
  };
  auto gather = std::make_shared<Gather>();
  gather->views.resize(bundle.components.size());
  gather->remaining = bundle.components.size();
  const Clock& clock = api.clock;
  for (size_t i = 0; i < bundle.components.size(); ++i) {
    api.engine.get_stock(bundle.components[i].sku, [=, &clock](StockView view) {
      std::unique_lock lock(gather->mutex);
      gather->overloaded = gather->overloaded || view.overloaded;
      gather->views[i] = std::move(view);
      if (--gather->remaining != 0) return;
      lock.unlock();
      if (gather->overloaded) return respond(overloaded_problem());
      AvailabilityRequest request;
      request.quantity = options.quantity;
      request.shopper = options.shopper;
      request.radius_km = options.radius_km;
      request.only_location = options.location;
      request.now = clock.now();
      std::vector<ChannelAvailability> per_component;
      for (const StockView& each : gather->views) {
        request.sku = each.sku;
        per_component.push_back(channel_availability(
            *channel, *catalog,
            [&](std::string_view location) -> const Position* {
              for (const PositionView& held : each.positions) {
                if (held.location == location) return &held.position;
              }
              return nullptr;
            },
            request));
      }
      json::object out;
      out["sku"] = bundle.id;
      out["channel"] = channel->id;
      out["degraded"] = degraded != nullptr;
      out["bundle"] = true;
      json::array components;
      for (const BundleComponent& component : bundle.components) {
        components.push_back(
            json::object{{"sku", component.sku}, {"quantity", component.quantity}});
      }
      out["components"] = std::move(components);
      int64_t total = 0;
      json::array locations;
      for (size_t l = 0; l < per_component.front().locations.size(); ++l) {
        int64_t units = limits::quantity_max;
        size_t limiting = 0;
        for (size_t c = 0; c < per_component.size(); ++c) {
          const int64_t here =
              per_component[c].locations[l].sellable_units / bundle.components[c].quantity;
          if (here < units) {
            units = here;
            limiting = c;
          }
        }
        const LocationAvailability& first = per_component.front().locations[l];
        const LocationAvailability& limit = per_component[limiting].locations[l];
        total += units;
        json::object item;
        item["location"] = first.location;
        item["type"] = location_type_name(first.type);
        item["priority"] = first.pool_priority;
        item["available"] = units;
        item["reason"] = units > 0 ? std::string("contributes")
                         : limit.reason == LocationReason::contributes
                             ? std::string("component_short")
                             : std::string(location_reason_name(limit.reason));
        item["limited_by"] = bundle.components[limiting].sku;
        locations.push_back(std::move(item));
      }
      out["available"] = total;
      out["locations"] = std::move(locations);
      respond(json_response(200, out));
    });
  }
}

}  // namespace

namespace {

// The SKU's stock as recorded by `as_of` (GET stock and availability with as_of), or the
// problem to answer: no ledger access (503) or a storage error (500).
std::optional<HttpResponse> read_stock_as_of(ApiContext& api, const std::string& sku,
                                             Timestamp as_of, StockView& out) {
  if (auto unavailable = ledger_unavailable(api)) return unavailable;
  std::string error;
  std::optional<StockView> view = stock_as_of(api, sku, as_of, &error);
  if (!view) return problem(500, "storage-error", "Storage error", error);
  out = std::move(*view);
  return std::nullopt;
}

}  // namespace

void get_stock(ApiContext& api, Call call) {
  std::string sku = call.params.at(0);
  if (!is_valid_sku(sku)) {
    return call.respond(validation_problem("sku", "a SKU is 1-128 characters of [A-Za-z0-9._:/-]"));
  }
  if (const std::string_view text = call.query_value("as_of"); !text.empty()) {
    const std::optional<Timestamp> as_of = parse_rfc3339(text);
    if (!as_of) return call.respond(validation_problem("as_of", "an RFC 3339 time"));
    StockView view;
    if (auto failure = read_stock_as_of(api, sku, *as_of, view)) {
      return call.respond(std::move(*failure));
    }
    if (view.positions.empty()) {
      return call.respond(problem(404, "unknown-sku", "Unknown SKU",
                                  "no fact had named SKU '" + sku + "' by " + std::string(text)));
    }
    json::object body = stock_json(view);
    body["as_of"] = format_rfc3339(*as_of);
    return call.respond(json_response(200, body));
  }
  api.engine.get_stock(std::move(sku), [respond = std::move(call.respond)](StockView view) {
    if (view.overloaded) return respond(overloaded_problem());
    if (view.positions.empty()) {
      return respond(problem(404, "unknown-sku", "Unknown SKU",
                             "no stock-changing fact has named SKU '" + view.sku + "' yet"));
    }
    respond(json_response(200, stock_json(view)));
  });
}

void get_availability(ApiContext& api, Call call) {
  std::string sku = call.params.at(0);
  if (!is_valid_sku(sku)) {
    return call.respond(validation_problem("sku", "a SKU is 1-128 characters of [A-Za-z0-9._:/-]"));
  }
  const std::string_view channel_id = call.query_value("channel");
  if (channel_id.empty()) {
    return call.respond(validation_problem("channel", "the query parameter channel is required"));
  }
  std::shared_ptr<const Catalog> catalog = api.engine.catalog();
  const Channel* channel = catalog->find_channel(channel_id);
  if (channel == nullptr) {
    return call.respond(validation_problem("channel",
                                           "unknown channel '" + std::string(channel_id) + "'",
                                           "unknown-channel", "Unknown channel"));
  }
  QueryOptions options;
  if (auto problem_response = read_query_options(
          [&](std::string_view name) -> std::optional<std::string> {
            for (const auto& [key, value] : call.query) {
              if (key == name) return value;
            }
            return std::nullopt;
          },
          options)) {
    return call.respond(std::move(*problem_response));
  }
  if (const std::string_view text = call.query_value("as_of"); !text.empty()) {
    // As it was: positions rebuilt from the ledger, under today's channel rules.
    const std::optional<Timestamp> as_of = parse_rfc3339(text);
    if (!as_of) return call.respond(validation_problem("as_of", "an RFC 3339 time"));
    if (catalog->find_bundle(sku) != nullptr) {
      return call.respond(validation_problem("as_of", "as_of is for SKUs, not bundles"));
    }
    StockView view;
    if (auto failure = read_stock_as_of(api, sku, *as_of, view)) {
      return call.respond(std::move(*failure));
    }
    json::object body = availability_json(view, *channel, *catalog, options, *as_of);
    body["as_of"] = format_rfc3339(*as_of);
    body["degraded"] = false;  // sync health is not part of the ledger
    return call.respond(json_response(200, body));
  }
  std::shared_ptr<const Channel> degraded = degraded_channel(api, *channel);
  if (degraded) channel = degraded.get();
  if (const Bundle* bundle = catalog->find_bundle(sku)) {
    return bundle_availability(api, *bundle, catalog, channel, degraded, options,
                               std::move(call.respond));
  }
  const Clock& clock = api.clock;
  api.engine.get_stock(std::move(sku), [catalog, channel, degraded, options, &clock,
                                        respond = std::move(call.respond)](StockView view) {
    if (view.overloaded) return respond(overloaded_problem());
    json::object body = availability_json(view, *channel, *catalog, options, clock.now());
    body["degraded"] = degraded != nullptr;
    respond(json_response(200, body));
  });
}

void post_availability_query(ApiContext& api, Call call) {
  HttpResponse error;
  const std::optional<json::value> body = parse_object_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  const json::object* object = &body->as_object();
  ObjectReader reader(*object);
  std::string channel_id;
  if (!reader.only({"channel", "skus", "quantity", "lat", "lon", "radius_km", "location"}) ||
      !reader.text("channel", channel_id, true)) {
    return call.respond(reader.error());
  }
  QueryOptions options;
  if (auto problem_response = read_query_options(
          [&](std::string_view name) -> std::optional<std::string> {
            const json::value* value = object->if_contains(name);
            if (value == nullptr || value->is_null()) return std::nullopt;
            if (value->is_string()) return std::string(value->as_string());
            if (value->is_int64()) return std::to_string(value->as_int64());
            if (value->is_double()) return std::to_string(value->as_double());
            return std::string("invalid");
          },
          options)) {
    return call.respond(std::move(*problem_response));
  }
  const json::value* skus_value = object->if_contains("skus");
  if (skus_value == nullptr || !skus_value->is_array() || skus_value->as_array().empty()) {
    return call.respond(validation_problem("skus", "skus must be a non-empty array of SKUs"));
  }
  const json::array& skus = skus_value->as_array();
  if (skus.size() > api.options.query_skus_max) {
    return call.respond(validation_problem(
        "skus", "at most " + std::to_string(api.options.query_skus_max) + " SKUs per query"));
  }
  std::vector<std::string> wanted;
  for (const json::value& sku : skus) {
    if (!sku.is_string() || !is_valid_sku(sku.as_string())) {
      return call.respond(
          validation_problem("skus", "every SKU must be 1-128 characters of [A-Za-z0-9._:/-]"));
    }
    wanted.emplace_back(sku.as_string());
  }
  std::shared_ptr<const Catalog> catalog = api.engine.catalog();
  const Channel* channel = catalog->find_channel(channel_id);
  if (channel == nullptr) {
    return call.respond(validation_problem("channel", "unknown channel '" + channel_id + "'",
                                           "unknown-channel", "Unknown channel"));
  }
  std::shared_ptr<const Channel> degraded = degraded_channel(api, *channel);
  if (degraded) channel = degraded.get();
  struct Gather {
    std::mutex mutex;
    std::vector<StockView> views;
    size_t remaining;
    bool overloaded = false;
    Respond respond;
  };
  auto gather = std::make_shared<Gather>();
  gather->views.resize(wanted.size());
  gather->remaining = wanted.size();
  gather->respond = std::move(call.respond);
  for (size_t i = 0; i < wanted.size(); ++i) {
    api.engine.get_stock(wanted[i], [gather, i, catalog, channel, degraded, options,
                                     &clock = api.clock](StockView view) {
      std::unique_lock lock(gather->mutex);
      gather->overloaded = gather->overloaded || view.overloaded;
      gather->views[i] = std::move(view);
      if (--gather->remaining != 0) return;
      lock.unlock();
      if (gather->overloaded) return gather->respond(overloaded_problem());
      json::array items;
      for (const StockView& each : gather->views) {
        json::object item = availability_json(each, *channel, *catalog, options, clock.now());
        item["degraded"] = degraded != nullptr;
        items.push_back(std::move(item));
      }
      gather->respond(json_response(200, json::object{{"channel", channel->id},
                                                      {"degraded", degraded != nullptr},
                                                      {"items", std::move(items)}}));
    });
  }
}

}  // namespace stockd
