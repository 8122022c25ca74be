// GET /v1/stock/{sku}, GET /v1/availability/{sku}?channel=C, POST /v1/availability/query.
#include <algorithm>
#include <boost/json.hpp>

#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "codec/json.hpp"
#include "core/ids.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

HttpResponse overloaded_problem() {
  HttpResponse response =
      problem(503, "overloaded", "Overloaded", "the engine's queues are full; retry after 1 s");
  response.set_header("Retry-After", "1");
  return response;
}

// The channel's pool, most preferred first (lower priority number first, then order).
std::vector<ChannelLocation> pool_in_order(const Channel& channel) {
  std::vector<ChannelLocation> pool = channel.locations;
  std::stable_sort(
      pool.begin(), pool.end(),
      [](const ChannelLocation& a, const ChannelLocation& b) { return a.priority < b.priority; });
  return pool;
}

json::object availability_json(const StockView& view, const Channel& channel,
                               const Catalog& catalog) {
  json::object out;
  out["sku"] = view.sku;
  out["channel"] = channel.id;
  int64_t total = 0;
  json::array locations;
  for (const ChannelLocation& member : pool_in_order(channel)) {
    const Location* location = catalog.find_location(member.id);
    if (location == nullptr) continue;
    Position position;
    for (const PositionView& held : view.positions) {
      if (held.location == member.id) position = held.position;
    }
    const SellableRule rule = sellable_rule(channel, *location);
    const int64_t units = sellable(position, rule);
    total += units;
    json::object entry;
    entry["location"] = member.id;
    entry["type"] = location_type_name(location->type);
    entry["on_hand"] = position.on_hand;
    entry["reserved"] = position.reserved;
    entry["allocated"] = position.allocated;
    entry["available"] = units;
    entry["position_available"] = available(position);
    entry["buffer"] = buffer_units(rule, available(position));
    entry["protected"] = rule.protected_units;
    entry["version"] = position.version;
    locations.push_back(std::move(entry));
  }
  out["available"] = total;
  out["locations"] = std::move(locations);
  return out;
}

}  // namespace

void get_stock(ApiContext& api, Call call) {
  std::string sku = call.params.at(0);
  if (!is_valid_sku(sku)) {
    return call.respond(validation_problem("sku", "a SKU is 1-128 characters of [A-Za-z0-9._:/-]"));
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
  api.engine.get_stock(std::move(sku),
                       [catalog, channel, respond = std::move(call.respond)](StockView view) {
                         if (view.overloaded) return respond(overloaded_problem());
                         respond(json_response(200, availability_json(view, *channel, *catalog)));
                       });
}

void post_availability_query(ApiContext& api, Call call) {
  HttpResponse error;
  const std::optional<json::value> body = parse_json_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  const json::object* object = require_object(*body, error);
  if (object == nullptr) return call.respond(std::move(error));
  ObjectReader reader(*object);
  std::string channel_id;
  if (!reader.only({"channel", "skus"}) || !reader.text("channel", channel_id, true)) {
    return call.respond(reader.error());
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
    api.engine.get_stock(wanted[i], [gather, i, catalog, channel](StockView view) {
      std::unique_lock lock(gather->mutex);
      gather->overloaded = gather->overloaded || view.overloaded;
      gather->views[i] = std::move(view);
      if (--gather->remaining != 0) return;
      lock.unlock();
      if (gather->overloaded) return gather->respond(overloaded_problem());
      json::array items;
      for (const StockView& each : gather->views) {
        items.push_back(availability_json(each, *channel, *catalog));
      }
      gather->respond(
          json_response(200, json::object{{"channel", channel->id}, {"items", std::move(items)}}));
    });
  }
}

}  // namespace stockd
