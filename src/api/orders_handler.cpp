// Orders and returns: POST /v1/orders, GET /v1/orders/{id}, POST /v1/orders/{id}/cancel,
// /reroute and /delivered, POST /v1/returns/route.
#include <algorithm>
#include <boost/json.hpp>
#include <cmath>

#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "core/ids.hpp"
#include "core/routing.hpp"
#include "core/velocity.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

constexpr double kReturnReachKmDefault = 500;

// Refuses a cancellation (or re-route) reason outside DESIGN §3's list.
std::optional<HttpResponse> refuse_reason(std::string_view reason) {
  if (is_cancellation_reason(reason)) return std::nullopt;
  return validation_problem("reason",
                            "reason is one of oversold, late_vendor_receipt, damaged_discovery, "
                            "address_failure, customer_request, other");
}

// The channel an order was placed on ("" when there is no such order).
std::string order_channel(ApiContext& api, const std::string& id) {
  std::string channel;
  api.engine.get_order(id, [&](OrderResult found) { channel = found.order.channel; });  // inline
  return channel;
}

double km_of(int64_t meters) { return std::round(static_cast<double>(meters) / 100) / 10; }

json::object order_json(const OrderResult& result) {
  const Order& order = result.order;
  json::array lines;
  for (uint32_t i = 0; i < order.lines.size(); ++i) {
    const OrderLine& line = order.lines[i];
    json::array from;
    for (const OrderAllocation& allocation : order.allocations) {
      if (allocation.line != i) continue;
      from.push_back(json::object{{"location", allocation.location},
                                  {"quantity", allocation.quantity},
                                  {"allocation_id", allocation.reservation_id}});
    }
    json::object out{{"sku", line.sku}, {"quantity", line.quantity}, {"allocations", from}};
    if (!line.reservation_id.empty()) out["reservation_id"] = line.reservation_id;
    lines.push_back(std::move(out));
  }
  json::array shipments;
  for (const OrderShipment& shipment : order.shipments) {
    shipments.push_back(json::object{
        {"location", shipment.location},
        {"cost_cents", shipment.cost_cents},
        {"distance_km", km_of(shipment.distance_m)},
        {"promised_delivery", json::object{{"from", format_rfc3339(shipment.promise_from)},
                                           {"to", format_rfc3339(shipment.promise_to)}}}});
  }
  json::array progress;
  for (const AllocationProgress& each : result.progress) {
    progress.push_back(json::object{{"sku", each.sku},
                                    {"location", each.location},
                                    {"allocated", each.quantity},
                                    {"shipped", each.shipped},
                                    {"cancelled", each.cancelled},
                                    {"open", each.open()}});
  }
  json::object body{
      {"id", order.id},
      {"channel", order.channel},
      {"state", order_state_name(order, result.open_units(), result.shipped_units())},
      {"created_at", format_rfc3339(order.created_at)},
      {"ship_to", json::object{{"lat", order.ship_to_lat}, {"lon", order.ship_to_lon}}},
      {"allow_partial", order.allow_partial},
      {"lines", std::move(lines)},
      {"shipments", std::move(shipments)},
      {"cost_cents", order.cost_cents},
      {"promised_delivery", json::object{{"from", format_rfc3339(order.promise_from)},
                                         {"to", format_rfc3339(order.promise_to)}}},
      {"progress", std::move(progress)},
      {"interventions", order.interventions},
      {"explanation", order.explanation},
      {"optimal", order.optimal}};
  if (order.max_shipments > 0) body["max_shipments"] = order.max_shipments;
  if (!order.cancel_reason.empty()) {
    body["cancellation"] =
        json::object{{"reason", order.cancel_reason}, {"at", format_rfc3339(order.cancelled_at)}};
  }
  if (micros_of(order.delivered_at) > 0) {
    body["delivered_at"] = format_rfc3339(order.delivered_at);
    body["delivered_on_time"] = order.delivered_at <= order.promise_to;
  }
  return body;
}

// Every candidate node and its verdict, with what it could ship of each routed SKU.
json::array considered_json(const OrderResult& result) {
  json::array nodes;
  for (const NodeConsidered& node : result.considered) {
    json::object shippable;
    for (size_t d = 0; d < node.shippable.size() && d < result.demands.size(); ++d) {
      shippable[result.demands[d].sku] = node.shippable[d];
    }
    nodes.push_back(json::object{{"location", node.location},
                                 {"verdict", node.verdict},
                                 {"shipment_cost_cents", node.shipment_cost_cents},
                                 {"distance_km", std::round(node.distance_km * 10) / 10},
                                 {"shippable", std::move(shippable)}});
  }
  return nodes;
}

HttpResponse order_refusal(const OrderResult& result) {
  json::object extra;
  if (!result.detail.empty()) extra["reason"] = result.detail;
  switch (result.status) {
    case OrderStatus::ok:
      break;
    case OrderStatus::invalid_order:
      return validation_problem(result.detail.substr(0, result.detail.find(':')),
                                "the order is invalid: " + result.detail);
    case OrderStatus::no_route:
      extra["considered"] = considered_json(result);
      return problem(409, "no-route", "No route",
                     "no plan within the order's shipment policy can ship every line; nothing "
                     "was allocated" +
                         (result.detail.empty() ? std::string() : " (" + result.detail + ")"),
                     std::move(extra));
    case OrderStatus::reservation_not_found:
      return problem(404, "reservation-not-found", "Reservation not found",
                     "a line names a reservation that does not exist", std::move(extra));
    case OrderStatus::reservation_not_active:
      return problem(409, "reservation-not-active", "Reservation not active",
                     "a line names a reservation that is committed, released or expired",
                     std::move(extra));
    case OrderStatus::reservation_mismatch:
      return problem(422, "reservation-mismatch", "Reservation mismatch",
                     "a line's reservation holds another SKU or quantity", std::move(extra));
    case OrderStatus::order_exists:
      return problem(409, "order-exists", "Order exists",
                     "an order with this id was placed with a different body");
    case OrderStatus::order_not_found:
      return problem(404, "not-found", "Not found", "no such order");
    case OrderStatus::order_closed:
      return problem(409, "order-closed", "Order closed",
                     "nothing of this order is open (allocated and not yet shipped or cancelled)",
                     std::move(extra));
    case OrderStatus::not_shipped:
      return problem(409, "not-shipped", "Not shipped",
                     "nothing of this order has shipped yet: it cannot have been delivered");
    case OrderStatus::already_delivered:
      return problem(409, "already-delivered", "Already delivered",
                     "the order was recorded as delivered at another time");
    case OrderStatus::overloaded:
      return overloaded_problem();
  }
  return problem(500, "internal", "Internal error", "unexpected outcome");
}

void answer_order(const Respond& respond, const OrderResult& result, int success_status,
                  bool with_plan) {
  if (result.status != OrderStatus::ok) return respond(order_refusal(result));
  json::object body = order_json(result);
  if (with_plan) {
    body["plan"] = json::object{{"considered", considered_json(result)},
                                {"search_steps", result.search_steps}};
  }
  HttpResponse response = json_response(result.replayed ? 200 : success_status, body);
  if (success_status == 201) response.set_header("Location", "/v1/orders/" + result.order.id);
  if (result.replayed) response.set_header("Idempotent-Replayed", "true");
  respond(std::move(response));
}

// The channel's pool as order candidates, with the sellable rule for shipping (and the
// degraded channel's wider buffer while it is degraded).
std::optional<HttpResponse> order_candidates(ApiContext& api, const std::string& channel_id,
                                             OrderRequest& request) {
  const std::shared_ptr<const Catalog> catalog = api.engine.catalog();
  const Channel* channel = catalog->find_channel(channel_id);
  if (channel == nullptr) {
    return validation_problem("channel", "unknown channel '" + channel_id + "'", "unknown-channel",
                              "Unknown channel");
  }
  const std::shared_ptr<const Channel> degraded = degraded_channel(api, *channel);
  if (degraded) channel = degraded.get();
  for (const ChannelLocation& member : pool_in_order(*channel)) {
    const Location* location = catalog->find_location(member.id);
    if (location == nullptr) continue;
    request.candidates.emplace_back(member.id,
                                    sellable_rule(*channel, *location, Fulfilment::ship));
  }
  request.cents_per_km = api.options.route_cents_per_km;
  return std::nullopt;
}

bool read_point(ObjectReader& reader, std::string_view key, double& lat, double& lon,
                bool required) {
  const json::value* point = reader.find(key);
  if (point == nullptr) return required ? reader.fail(std::string(key), "required") : true;
  if (!point->is_object()) return reader.fail(std::string(key), "an object {lat, lon}");
  ObjectReader point_reader(point->as_object());
  if (!point_reader.only({"lat", "lon"}) || !point_reader.number("lat", lat, true) ||
      !point_reader.number("lon", lon, true) || lat < -90 || lat > 90 || lon < -180 || lon > 180) {
    return reader.fail(std::string(key), "lat (-90..90) and lon (-180..180)");
  }
  return true;
}

}  // namespace

void post_order(ApiContext& api, Call call) {
  HttpResponse error;
  const std::optional<json::value> body = parse_object_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  ObjectReader reader(body->as_object());
  OrderRequest request;
  Order& order = request.order;
  int64_t max_shipments = 0;
  if (!reader.only({"id", "channel", "lines", "ship_to", "allow_partial", "max_shipments"}) ||
      !reader.text("id", order.id, true, 128) ||
      !reader.text("channel", order.channel, true, 128) ||
      !reader.boolean("allow_partial", order.allow_partial) ||
      !reader.integer("max_shipments", max_shipments, 1, 100) ||
      !read_point(reader, "ship_to", order.ship_to_lat, order.ship_to_lon, true)) {
    return call.respond(reader.error());
  }
  if (!is_valid_id(order.id)) {
    return call.respond(
        validation_problem("id", "an order id is 1-128 characters of [A-Za-z0-9._:-]"));
  }
  if (max_shipments > 1 && !order.allow_partial) {
    return call.respond(
        validation_problem("max_shipments", "more than one shipment needs allow_partial: true"));
  }
  order.max_shipments = static_cast<uint32_t>(max_shipments);
  const json::value* lines = reader.find("lines");
  if (lines == nullptr || !lines->is_array() || lines->as_array().empty() ||
      lines->as_array().size() > 100) {
    return call.respond(validation_problem("lines", "lines is an array of 1-100 {sku, quantity}"));
  }
  for (const json::value& line : lines->as_array()) {
    if (!line.is_object())
      return call.respond(validation_problem("lines", "each line is an object"));
    ObjectReader line_reader(line.as_object());
    OrderLine parsed;
    if (!line_reader.only({"sku", "quantity", "reservation_id"}) ||
        !line_reader.text("sku", parsed.sku, true, 128) ||
        !line_reader.integer("quantity", parsed.quantity, 1, 1'000'000'000, true) ||
        !line_reader.text("reservation_id", parsed.reservation_id, false, 128)) {
      return call.respond(validation_problem(
          "lines", "each line is {\"sku\", \"quantity\" >= 1, \"reservation_id\"?}"));
    }
    if (!is_valid_sku(parsed.sku)) {
      return call.respond(
          validation_problem("lines", "a SKU is 1-128 characters of [A-Za-z0-9._:/-]"));
    }
    order.lines.push_back(std::move(parsed));
  }
  if (auto problem_response = order_candidates(api, order.channel, request)) {
    return call.respond(std::move(*problem_response));
  }
  if (auto refusal = forbid_channel(call.principal, order.channel)) {
    return call.respond(std::move(*refusal));
  }
  request.principal = call.principal.token_id;
  // The same id with the same body replays; the body is the request's identity.
  order.fingerprint = sha256("POST /v1/orders\n", call.request.body);
  api.engine.place_order(std::move(request), [respond = std::move(call.respond)](OrderResult r) {
    answer_order(respond, r, 201, true);
  });
}

void get_order(ApiContext& api, Call call) {
  api.engine.get_order(call.params[0], [respond = std::move(call.respond)](OrderResult r) {
    answer_order(respond, r, 200, false);
  });
}

void cancel_order(ApiContext& api, Call call) {
  HttpResponse error;
  const std::optional<json::value> body = parse_object_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  ObjectReader reader(body->as_object());
  std::string reason;
  if (!reader.only({"reason"}) || !reader.text("reason", reason, true, 64)) {
    return call.respond(reader.error());
  }
  if (auto refusal = refuse_reason(reason)) return call.respond(std::move(*refusal));
  if (!call.principal.restrictions.channels.empty()) {
    const std::string channel = order_channel(api, call.params[0]);
    if (auto refusal = forbid_channel(call.principal, channel); refusal && !channel.empty()) {
      return call.respond(std::move(*refusal));
    }
  }
  api.engine.cancel_order(
      call.params[0], reason,
      [respond = std::move(call.respond)](OrderResult r) { answer_order(respond, r, 200, false); },
      call.principal.token_id);
}

void reroute_order(ApiContext& api, Call call) {
  HttpResponse error;
  const std::optional<json::value> body = parse_object_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  ObjectReader reader(body->as_object());
  std::string reason;
  if (!reader.only({"reason", "from_locations"}) || !reader.text("reason", reason, true, 64)) {
    return call.respond(reader.error());
  }
  if (auto refusal = refuse_reason(reason)) return call.respond(std::move(*refusal));
  std::vector<std::string> from;
  if (const json::value* named = reader.find("from_locations")) {
    if (!named->is_array() || named->as_array().size() > 100) {
      return call.respond(validation_problem("from_locations", "an array of location ids"));
    }
    for (const json::value& id : named->as_array()) {
      if (!id.is_string() || !is_valid_id(id.as_string())) {
        return call.respond(validation_problem("from_locations", "an array of location ids"));
      }
      from.emplace_back(id.as_string());
    }
  }
  const std::string channel_id = order_channel(api, call.params[0]);
  if (!channel_id.empty()) {
    if (auto refusal = forbid_channel(call.principal, channel_id)) {
      return call.respond(std::move(*refusal));
    }
  }
  OrderRequest request;
  if (!channel_id.empty()) {
    if (auto problem_response = order_candidates(api, channel_id, request)) {
      return call.respond(std::move(*problem_response));
    }
  }
  api.engine.reroute_order(
      call.params[0], std::move(from), reason, std::move(request),
      [respond = std::move(call.respond)](OrderResult r) { answer_order(respond, r, 200, true); });
}

void post_order_delivered(ApiContext& api, Call call) {
  HttpResponse error;
  const std::optional<json::value> body = parse_object_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  ObjectReader reader(body->as_object());
  std::string text;
  if (!reader.only({"delivered_at"}) || !reader.text("delivered_at", text, true, 64)) {
    return call.respond(reader.error());
  }
  const std::optional<Timestamp> delivered_at = parse_rfc3339(text);
  if (!delivered_at) {
    return call.respond(validation_problem("delivered_at", "an RFC 3339 timestamp"));
  }
  if (*delivered_at > api.clock.now() + std::chrono::minutes{5}) {
    return call.respond(validation_problem("delivered_at", "delivered_at is in the future"));
  }
  api.engine.mark_delivered(
      call.params[0], *delivered_at,
      [respond = std::move(call.respond)](OrderResult r) { answer_order(respond, r, 200, false); });
}

void post_return_route(ApiContext& api, Call call) {
  HttpResponse error;
  const std::optional<json::value> body = parse_object_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  ObjectReader reader(body->as_object());
  std::string sku, condition_name = "resellable";
  double lat = 0, lon = 0, reach_km = kReturnReachKmDefault;
  if (!reader.only({"sku", "condition", "from", "reach_km"}) ||
      !reader.text("sku", sku, true, 128) || !reader.text("condition", condition_name, true, 32) ||
      !read_point(reader, "from", lat, lon, true) || !reader.number("reach_km", reach_km)) {
    return call.respond(reader.error());
  }
  if (!is_valid_sku(sku)) {
    return call.respond(validation_problem("sku", "a SKU is 1-128 characters of [A-Za-z0-9._:/-]"));
  }
  if (reach_km <= 0 || reach_km > 40'000) {
    return call.respond(validation_problem("reach_km", "reach_km is between 0 and 40000"));
  }
  ReturnCondition condition;
  if (condition_name == "resellable")
    condition = ReturnCondition::resellable;
  else if (condition_name == "damaged")
    condition = ReturnCondition::damaged;
  else if (condition_name == "needs_inspection")
    condition = ReturnCondition::needs_inspection;
  else {
    return call.respond(
        validation_problem("condition", "condition is resellable, damaged or needs_inspection"));
  }
  api.engine.get_stock(sku, [&api, sku, condition, condition_name, lat, lon, reach_km,
                             respond = std::move(call.respond)](StockView stock) {
    if (stock.overloaded) return respond(overloaded_problem());
    const std::shared_ptr<const Catalog> catalog = api.engine.catalog();
    const Timestamp now = api.clock.now();
    std::vector<ReturnCandidate> candidates;
    for (const auto& [id, location] : catalog->locations()) {
      if (location.type == LocationType::virtual_ || location.type == LocationType::dropship) {
        continue;  // a return needs a building that receives parcels
      }
      ReturnCandidate candidate;
      candidate.location = id;
      candidate.distance_km = distance_km(GeoPoint{lat, lon}, GeoPoint{location.lat, location.lon});
      candidate.accepts_damaged = location.accepts_damaged;
      candidate.dormant = true;  // until a position with recent demand says otherwise
      for (const PositionView& view : stock.positions) {
        if (view.location != id) continue;
        candidate.available = available(view.position);
        candidate.sales_per_day = sales_rate_per_day(view.position, now);
        candidate.dormant = velocity_class(view.position.demand, now) == VelocityClass::dormant;
      }
      candidates.push_back(std::move(candidate));
    }
    const std::vector<ReturnChoice> ranked = rank_return_nodes(candidates, condition, reach_km);
    json::array options;
    for (size_t i = 0; i < ranked.size() && i < 5; ++i) {
      const ReturnCandidate& candidate = candidates[ranked[i].candidate];
      json::object option{{"location", candidate.location},
                          {"distance_km", std::round(candidate.distance_km * 10) / 10}};
      if (condition == ReturnCondition::resellable) {
        option["available"] = candidate.available;
        option["sales_per_day"] = std::round(candidate.sales_per_day * 100) / 100;
        option["dormant"] = candidate.dormant;
        option["shortfall"] = ranked[i].shortfall;
        if (std::isfinite(ranked[i].days_to_sell)) {
          option["days_to_sell"] = std::round(ranked[i].days_to_sell * 10) / 10;
        } else {
          option["days_to_sell"] = nullptr;
        }
      }
      options.push_back(std::move(option));
    }
    if (ranked.empty()) {
      return respond(problem(
          409, "no-return-node", "No return node",
          condition == ReturnCondition::resellable
              ? "no node within reach_km can take this return"
              : "no node within reach_km accepts damaged goods (accepts_damaged on a location)"));
    }
    const ReturnCandidate& best = candidates[ranked[0].candidate];
    std::string why;
    if (condition == ReturnCondition::resellable) {
      why = std::isfinite(ranked[0].days_to_sell)
                ? "sells one more unit soonest (about " +
                      std::to_string(static_cast<int>(std::ceil(ranked[0].days_to_sell))) +
                      " days at its current velocity)"
                : "no node within reach sells this SKU: the closest one";
    } else {
      why = "the closest node that accepts damaged goods";
    }
    respond(json_response(200, json::object{{"sku", sku},
                                            {"condition", condition_name},
                                            {"location", best.location},
                                            {"explanation", why},
                                            {"options", std::move(options)}}));
  });
}

}  // namespace stockd
