// Configuration routes: PUT/GET/DELETE /v1/{locations,channels,sources}/{id} and the lists.
#include <boost/json.hpp>

#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "core/ids.hpp"
#include "sync/signature.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

json::object to_json(const Location& location) {
  return json::object{{"id", location.id},
                      {"type", location_type_name(location.type)},
                      {"name", location.name},
                      {"lat", location.lat},
                      {"lon", location.lon},
                      {"priority", location.priority},
                      {"ship_cost_cents", location.ship_cost_cents},
                      {"protected_min", location.protected_min},
                      {"count_sla_hours", location.count_sla_hours},
                      {"ship_radius_km", location.ship_radius_km},
                      {"handling_days", location.handling_days},
                      {"accepts_damaged", location.accepts_damaged}};
}

json::object to_json(const Source& source) {
  // Secrets are never shown; how many there are is.
  return json::object{{"id", source.id},
                      {"priority", source.priority},
                      {"webhook_secrets_count", source.webhook_secrets.size()},
                      {"require_signature", source.require_signature}};
}

json::object quantity_json(const Channel& channel) {
  json::object out{{"min", channel.reservation_quantity_min},
                   {"max", channel.reservation_quantity_max}};
  if (!channel.sku_limits.empty()) {
    json::object skus;
    for (const SkuQuantityLimit& limit : channel.sku_limits) {
      skus[limit.sku] = json::object{{"min", limit.min}, {"max", limit.max}};
    }
    out["skus"] = std::move(skus);
  }
  return out;
}

json::object to_json(const Channel& channel) {
  json::array pool;
  for (const ChannelLocation& member : channel.locations) {
    pool.push_back(json::object{{"id", member.id}, {"priority", member.priority}});
  }
  return json::object{
      {"id", channel.id},
      {"locations", std::move(pool)},
      {"buffer",
       json::object{{"units", channel.buffer_units}, {"percent", channel.buffer_percent}}},
      {"degraded_buffer", json::object{{"units", channel.degraded_buffer_units},
                                       {"percent", channel.degraded_buffer_percent}}},
      {"sync_latency_seconds", channel.sync_latency_seconds},
      {"reservation_ttl_seconds", channel.reservation_ttl_seconds},
      {"pickup", channel.pickup},
      {"backorder", channel.backorder},
      {"reservation_quantity", quantity_json(channel)}};
}

json::object to_json(const Bundle& bundle) {
  json::array components;
  for (const BundleComponent& component : bundle.components) {
    components.push_back(json::object{{"sku", component.sku}, {"quantity", component.quantity}});
  }
  return json::object{{"sku", bundle.id}, {"components", std::move(components)}};
}

// Reads the body's fields into `out`; false with the reader's error on bad input.
bool read(ObjectReader& reader, Location& out) {
  std::string type = "warehouse";
  if (!reader.only({"id", "type", "name", "lat", "lon", "priority", "ship_cost_cents",
                    "protected_min", "count_sla_hours", "ship_radius_km", "handling_days",
                    "accepts_damaged"}) ||
      !reader.text("type", type) || !reader.text("name", out.name) ||
      !reader.number("lat", out.lat) || !reader.number("lon", out.lon) ||
      !reader.integer("priority", out.priority, -1'000'000, 1'000'000) ||
      !reader.integer("ship_cost_cents", out.ship_cost_cents, 0, 1'000'000'000) ||
      !reader.integer("protected_min", out.protected_min, 0, 1'000'000'000) ||
      !reader.integer("count_sla_hours", out.count_sla_hours, 0, 24 * 366) ||
      !reader.integer("ship_radius_km", out.ship_radius_km, 0, 40'000) ||
      !reader.integer("handling_days", out.handling_days, 0, 365) ||
      !reader.boolean("accepts_damaged", out.accepts_damaged)) {
    return false;
  }
  const auto parsed = location_type_from_name(type);
  if (!parsed) return reader.fail("type", "type must be warehouse, store, dropship or virtual");
  out.type = *parsed;
  return true;
}

bool read(ObjectReader& reader, Bundle& out) {
  if (!reader.only({"id", "sku", "components"})) return false;
  std::string sku;
  if (!reader.text("sku", sku)) return false;
  if (!sku.empty() && sku != out.id)
    return reader.fail("sku", "the body's sku differs from the path's");
  const json::value* components = reader.find("components");
  if (components == nullptr || !components->is_array()) {
    return reader.fail("components", "components must be an array of {sku, quantity}");
  }
  for (const json::value& item : components->as_array()) {
    if (!item.is_object()) return reader.fail("components", "each component is an object");
    ObjectReader component_reader(item.as_object());
    BundleComponent component;
    if (!component_reader.only({"sku", "quantity"}) ||
        !component_reader.text("sku", component.sku, true, 128) ||
        !component_reader.integer("quantity", component.quantity, 1, 1000, true)) {
      return reader.fail("components",
                         "each component is {\"sku\": string, \"quantity\": 1..1000}");
    }
    out.components.push_back(std::move(component));
  }
  return true;
}

bool read(ObjectReader& reader, Source& out) {
  if (!reader.only({"id", "priority", "webhook_secrets", "require_signature"}) ||
      !reader.integer("priority", out.priority, -1'000'000, 1'000'000) ||
      !reader.boolean("require_signature", out.require_signature)) {
    return false;
  }
  if (const json::value* secrets = reader.find("webhook_secrets"); secrets != nullptr) {
    if (!secrets->is_array() || secrets->as_array().size() > 8) {
      return reader.fail("webhook_secrets", "must be an array of at most 8 secrets");
    }
    for (const json::value& secret : secrets->as_array()) {
      if (!secret.is_string() || !webhook_secret_key(secret.as_string())) {
        return reader.fail("webhook_secrets",
                           "each secret is 'whsec_' followed by base64 of 24 to 64 bytes");
      }
      out.webhook_secrets.emplace_back(secret.as_string());
    }
  }
  if (out.require_signature && out.webhook_secrets.empty()) {
    return reader.fail("require_signature", "requires at least one of webhook_secrets");
  }
  return true;
}

bool read(ObjectReader& reader, Channel& out) {
  if (!reader.only({"id", "locations", "buffer", "degraded_buffer", "sync_latency_seconds",
                    "reservation_ttl_seconds", "pickup", "backorder", "reservation_quantity"}) ||
      !reader.integer("sync_latency_seconds", out.sync_latency_seconds, 0, 7 * 24 * 3600) ||
      !reader.integer("reservation_ttl_seconds", out.reservation_ttl_seconds, 1, 7 * 24 * 3600) ||
      !reader.boolean("pickup", out.pickup) || !reader.boolean("backorder", out.backorder)) {
    return false;
  }
  if (const json::value* buffer = reader.find("buffer"); buffer != nullptr && !buffer->is_null()) {
    if (!buffer->is_object()) return reader.fail("buffer", "buffer must be an object");
    ObjectReader buffer_reader(buffer->as_object());
    if (!buffer_reader.only({"units", "percent"}) ||
        !buffer_reader.integer("units", out.buffer_units, 0, 1'000'000'000) ||
        !buffer_reader.integer("percent", out.buffer_percent, 0, 100)) {
      return reader.fail("buffer", "buffer takes units (>= 0) and percent (0-100)");
    }
  }
  if (const json::value* buffer = reader.find("degraded_buffer");
      buffer != nullptr && !buffer->is_null()) {
    if (!buffer->is_object()) return reader.fail("degraded_buffer", "must be an object");
    ObjectReader buffer_reader(buffer->as_object());
    if (!buffer_reader.only({"units", "percent"}) ||
        !buffer_reader.integer("units", out.degraded_buffer_units, 0, 1'000'000'000) ||
        !buffer_reader.integer("percent", out.degraded_buffer_percent, 0, 100)) {
      return reader.fail("degraded_buffer",
                         "degraded_buffer takes units (>= 0) and percent (0-100)");
    }
  }
  if (const json::value* limits = reader.find("reservation_quantity");
      limits != nullptr && !limits->is_null()) {
    if (!limits->is_object()) {
      return reader.fail("reservation_quantity", "reservation_quantity must be an object");
    }
    ObjectReader limits_reader(limits->as_object());
    if (const json::value* skus = limits_reader.find("skus"); skus != nullptr) {
      if (!skus->is_object()) {
        return reader.fail("reservation_quantity", "skus maps a SKU to {min, max}");
      }
      for (const auto& [sku, value] : skus->as_object()) {
        if (!value.is_object())
          return reader.fail("reservation_quantity", "skus maps a SKU to {min, max}");
        ObjectReader sku_reader(value.as_object());
        SkuQuantityLimit limit;
        limit.sku = std::string(sku);
        if (!sku_reader.only({"min", "max"}) ||
            !sku_reader.integer("min", limit.min, 1, 1'000'000'000) ||
            !sku_reader.integer("max", limit.max, 0, 1'000'000'000)) {
          return reader.fail("reservation_quantity", "skus maps a SKU to {min >= 1, max >= 0}");
        }
        out.sku_limits.push_back(std::move(limit));
      }
    }
    if (!limits_reader.only({"min", "max", "skus"}) ||
        !limits_reader.integer("min", out.reservation_quantity_min, 1, 1'000'000'000) ||
        !limits_reader.integer("max", out.reservation_quantity_max, 0, 1'000'000'000)) {
      return reader.fail("reservation_quantity",
                         "reservation_quantity takes min (>= 1) and max (0 = no maximum)");
    }
  }
  const json::value* locations = reader.find("locations");
  if (locations == nullptr || !locations->is_array()) {
    return reader.fail("locations", "locations must be an array of {id, priority}");
  }
  for (const json::value& member : locations->as_array()) {
    if (!member.is_object()) return reader.fail("locations", "each location must be an object");
    ObjectReader member_reader(member.as_object());
    ChannelLocation entry;
    if (!member_reader.only({"id", "priority"}) || !member_reader.text("id", entry.id, true, 128) ||
        !member_reader.integer("priority", entry.priority, -1'000'000, 1'000'000)) {
      return reader.fail("locations", "each location is {\"id\": string, \"priority\": integer}");
    }
    out.locations.push_back(std::move(entry));
  }
  return true;
}

HttpResponse config_refusal(const ConfigCheck& check) {
  switch (check.error) {
    case ConfigError::unknown_location:
      return validation_problem(check.field, "the channel names a location that is not registered",
                                "unknown-location", "Unknown location");
    case ConfigError::location_in_use:
      return problem(409, "location-in-use", "Location in use",
                     "a channel's pool names this location; remove it from the channel first");
    case ConfigError::not_found:
      return problem(404, "not-found", "Not found", "no such entry");
    case ConfigError::unavailable:
      return overloaded_problem();
    case ConfigError::invalid_component:
      return validation_problem(check.field,
                                "a component may not be the bundle itself, another bundle, or "
                                "repeated; and a bundle may not be a component elsewhere");
    default:
      return validation_problem(
          check.field, std::string(config_error_name(check.error)) + " (" + check.field + ")");
  }
}

template <typename Entry>
void put_entry(ApiContext& api, Call& call, ConfigCheck (Engine::*put)(Entry)) {
  const std::string& id = call.params.at(0);
  if (!is_valid_id(id)) {
    return call.respond(validation_problem("id", "an id is 1-128 characters of [A-Za-z0-9._:-]"));
  }
  HttpResponse error;
  const std::optional<json::value> body = parse_object_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  const json::object* object = &body->as_object();
  ObjectReader reader(*object);
  Entry entry;
  entry.id = id;
  std::string body_id;
  if (!read(reader, entry) || !reader.text("id", body_id)) return call.respond(reader.error());
  if (!body_id.empty() && body_id != id) {
    return call.respond(validation_problem("id", "the body's id differs from the path's"));
  }
  const ConfigCheck check = (api.engine.*put)(entry);
  if (!check.ok()) return call.respond(config_refusal(check));
  call.respond(json_response(200, to_json(entry)));
}

template <typename Entry>
void get_entry(Call& call, const Entry* entry) {
  if (entry == nullptr)
    return call.respond(problem(404, "not-found", "Not found", "no such entry"));
  call.respond(json_response(200, to_json(*entry)));
}

template <typename Map>
void list_entries(Call& call, const Map& map, const char* name) {
  json::array items;
  for (const auto& [id, entry] : map) items.push_back(to_json(entry));
  call.respond(json_response(200, json::object{{name, std::move(items)}}));
}

void delete_entry(ApiContext& api, Call& call, ConfigKind kind) {
  const ConfigCheck check = api.engine.remove_config(kind, call.params.at(0));
  if (!check.ok()) return call.respond(config_refusal(check));
  HttpResponse response;
  response.status = 204;
  call.respond(std::move(response));
}

}  // namespace

void put_location(ApiContext& api, Call call) { put_entry(api, call, &Engine::put_location); }
void put_bundle(ApiContext& api, Call call) { put_entry(api, call, &Engine::put_bundle); }
void get_bundle(ApiContext& api, Call call) {
  get_entry(call, api.engine.catalog()->find_bundle(call.params.at(0)));
}
void delete_bundle(ApiContext& api, Call call) { delete_entry(api, call, ConfigKind::bundle); }
void list_bundles(ApiContext& api, Call call) {
  list_entries(call, api.engine.catalog()->bundles(), "bundles");
}
void put_source(ApiContext& api, Call call) { put_entry(api, call, &Engine::put_source); }
void put_channel(ApiContext& api, Call call) { put_entry(api, call, &Engine::put_channel); }

void get_location(ApiContext& api, Call call) {
  get_entry(call, api.engine.catalog()->find_location(call.params.at(0)));
}
void get_source(ApiContext& api, Call call) {
  get_entry(call, api.engine.catalog()->find_source(call.params.at(0)));
}
void get_channel(ApiContext& api, Call call) {
  get_entry(call, api.engine.catalog()->find_channel(call.params.at(0)));
}

void delete_location(ApiContext& api, Call call) { delete_entry(api, call, ConfigKind::location); }
void delete_source(ApiContext& api, Call call) { delete_entry(api, call, ConfigKind::source); }
void delete_channel(ApiContext& api, Call call) { delete_entry(api, call, ConfigKind::channel); }

void list_locations(ApiContext& api, Call call) {
  list_entries(call, api.engine.catalog()->locations(), "locations");
}
void list_sources(ApiContext& api, Call call) {
  list_entries(call, api.engine.catalog()->sources(), "sources");
}
void list_channels(ApiContext& api, Call call) {
  list_entries(call, api.engine.catalog()->channels(), "channels");
}

}  // namespace stockd
