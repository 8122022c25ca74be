// Reservations: POST /v1/reservations (honours Idempotency-Key), GET /v1/reservations/{id},
// POST /v1/reservations/{id}/commit, DELETE /v1/reservations/{id}.
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

constexpr size_t kIdempotencyKeyLengthMax = 255;

// The response for an engine outcome that is not a success.
HttpResponse refusal(const ReserveResult& result) {
  switch (result.status) {
    case ReserveStatus::ok:
      break;
    case ReserveStatus::invalid_sku:
      return validation_problem("sku", "a SKU is 1-128 characters of [A-Za-z0-9._:/-]");
    case ReserveStatus::unknown_location:
      return validation_problem("location", "the channel has no known location to reserve at",
                                "unknown-location", "Unknown location");
    case ReserveStatus::quantity_out_of_range:
      return validation_problem("quantity", "quantity must be between 1 and 1000000000");
    case ReserveStatus::ttl_out_of_range:
      return validation_problem("ttl_seconds", "ttl_seconds must be between 1 and 604800");
    case ReserveStatus::insufficient_stock: {
      json::object extra;
      extra["available"] = result.available;
      return problem(409, "insufficient-stock", "Insufficient stock",
                     "at most " + std::to_string(result.available) +
                         " can be promised from any one location of this channel right now",
                     std::move(extra));
    }
    case ReserveStatus::reservation_not_found:
      return problem(404, "not-found", "Not found", "no such reservation");
    case ReserveStatus::reservation_not_active: {
      json::object extra;
      extra["state"] = reservation_state_name(result.reservation.state);
      return problem(409, "reservation-not-active", "Reservation not active",
                     "the reservation is already " +
                         std::string(reservation_state_name(result.reservation.state)),
                     std::move(extra));
    }
    case ReserveStatus::invalid_order_id:
      return validation_problem("order_id", "order_id is 1-128 characters of [A-Za-z0-9._:-]");
    case ReserveStatus::overloaded:
      return overloaded_problem();
    case ReserveStatus::unknown_channel:
      return validation_problem("channel", "unknown channel", "unknown-channel", "Unknown channel");
    case ReserveStatus::reservation_exists:
      return problem(409, "reservation-exists", "Reservation exists",
                     "a reservation with this id exists");
    case ReserveStatus::idempotency_conflict:
      return problem(422, "idempotency-conflict", "Idempotency conflict",
                     "this Idempotency-Key was used for a different request");
    case ReserveStatus::idempotency_in_flight:
      return problem(409, "idempotency-in-flight", "Request in flight",
                     "the first request with this Idempotency-Key is still being processed");
  }
  return problem(500, "internal", "Internal error", "unexpected outcome");
}

// The reservation, with the version its position reached when this request changed it.
json::object reservation_body(const ReserveResult& result) {
  json::object body = reservation_json(result.reservation);
  if (result.version != 0) body["version"] = result.version;
  return body;
}

void answer_end(Call call, ReserveResult result) {
  if (result.status != ReserveStatus::ok) return call.respond(refusal(result));
  call.respond(json_response(200, reservation_body(result)));
}

}  // namespace

void post_reservation(ApiContext& api, Call call) {
  HttpResponse error;
  const std::optional<json::value> body = parse_object_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  const json::object* object = &body->as_object();
  ObjectReader reader(*object);
  std::string sku, channel_id, location_id;
  int64_t quantity = 0;
  int64_t ttl_seconds = 0;
  bool pickup = false;
  bool backorder = false;
  double lat = 0, lon = 0, radius_km = -1;
  if (!reader.only({"sku", "channel", "quantity", "location", "ttl_seconds", "pickup", "lat", "lon",
                    "radius_km", "backorder"}) ||
      !reader.boolean("backorder", backorder) || !reader.text("sku", sku, true, 128) ||
      !reader.text("channel", channel_id, true, 128) ||
      !reader.integer("quantity", quantity, 1, 1'000'000'000, true) ||
      !reader.text("location", location_id, false, 128) ||
      !reader.integer("ttl_seconds", ttl_seconds, 1, 7 * 24 * 3600) ||
      !reader.boolean("pickup", pickup) || !reader.number("lat", lat) ||
      !reader.number("lon", lon) || !reader.number("radius_km", radius_km)) {
    return call.respond(reader.error());
  }
  const bool has_shopper = reader.find("lat") || reader.find("lon") || reader.find("radius_km");
  if (has_shopper && (!reader.find("lat") || !reader.find("lon") || !reader.find("radius_km") ||
                      lat < -90 || lat > 90 || lon < -180 || lon > 180 || radius_km < 0)) {
    return call.respond(validation_problem(
        "radius_km", "lat (-90..90), lon (-180..180) and radius_km (>= 0) go together"));
  }
  if (!is_valid_sku(sku)) {
    return call.respond(validation_problem("sku", "a SKU is 1-128 characters of [A-Za-z0-9._:/-]"));
  }
  const std::shared_ptr<const Catalog> catalog = api.engine.catalog();
  const Channel* channel = catalog->find_channel(channel_id);
  if (channel == nullptr) {
    return call.respond(validation_problem("channel", "unknown channel '" + channel_id + "'",
                                           "unknown-channel", "Unknown channel"));
  }
  if (quantity < channel->reservation_quantity_min ||
      (channel->reservation_quantity_max != 0 && quantity > channel->reservation_quantity_max)) {
    json::object extra;
    extra["field"] = "quantity";
    extra["min"] = channel->reservation_quantity_min;
    extra["max"] = channel->reservation_quantity_max;
    return call.respond(problem(
        422, "quantity-limit", "Quantity outside the channel's limits",
        "channel '" + channel_id + "' allows " + std::to_string(channel->reservation_quantity_min) +
            (channel->reservation_quantity_max != 0
                 ? " to " + std::to_string(channel->reservation_quantity_max)
                 : " or more") +
            " units per reservation",
        std::move(extra)));
  }
  if (!location_id.empty()) {
    bool in_pool = false;
    for (const ChannelLocation& member : channel->locations)
      in_pool = in_pool || member.id == location_id;
    if (!in_pool) {
      return call.respond(validation_problem(
          "location", "location '" + location_id + "' is not in channel '" + channel_id + "'",
          "location-not-in-channel", "Location not in channel"));
    }
  }
  if (backorder && (!channel->backorder || pickup)) {
    return call.respond(validation_problem(
        "backorder", "channel '" + channel_id + "' does not take backorders (or this is a pickup)",
        "backorder-not-offered", "Backorder not offered"));
  }
  if (pickup) {
    const Location* store = location_id.empty() ? nullptr : catalog->find_location(location_id);
    if (!channel->pickup || store == nullptr || store->type != LocationType::store) {
      return call.respond(validation_problem(
          "pickup", "pickup needs a channel that offers it and one of its stores as location",
          "pickup-not-offered", "Pickup not offered"));
    }
  }
  ReserveRequest request;
  request.sku = sku;
  request.channel = channel_id;
  request.backorder = backorder;
  request.quantity = quantity;
  request.ttl =
      std::chrono::seconds{ttl_seconds != 0 ? ttl_seconds : channel->reservation_ttl_seconds};
  for (const ChannelLocation& member : pool_in_order(*channel)) {
    if (!location_id.empty() && member.id != location_id) continue;
    const Location* location = catalog->find_location(member.id);
    if (location == nullptr) continue;
    if (has_shopper && location->type == LocationType::store &&
        distance_km(GeoPoint{lat, lon}, GeoPoint{location->lat, location->lon}) > radius_km) {
      continue;  // ship-from-store only within the shopper's radius
    }
    request.candidates.emplace_back(
        member.id,
        sellable_rule(*channel, *location, pickup ? Fulfilment::pickup : Fulfilment::ship));
  }
  if (request.candidates.empty()) {
    ReserveResult none;
    none.status = ReserveStatus::insufficient_stock;
    return call.respond(refusal(none));  // no location of the pool can serve this shopper
  }

  std::string scoped_key;
  if (const std::string_view key = call.request.header("idempotency-key"); !key.empty()) {
    if (key.size() > kIdempotencyKeyLengthMax) {
      return call.respond(validation_problem("Idempotency-Key", "at most 255 characters"));
    }
    scoped_key = call.principal.token_id + ":" + std::string(key);
    request.request_key = scoped_key;
    request.request_fingerprint = sha256("POST /v1/reservations\n", call.request.body);
    if (!api.inflight.try_begin(scoped_key)) {
      ReserveResult in_flight;
      in_flight.status = ReserveStatus::idempotency_in_flight;
      return call.respond(refusal(in_flight));
    }
  }
  api.engine.reserve(std::move(request), [&api, scoped_key,
                                          respond = std::move(call.respond)](ReserveResult result) {
    if (!scoped_key.empty()) api.inflight.end(scoped_key);
    HttpResponse response;
    if (result.status == ReserveStatus::ok) {
      response = json_response(201, reservation_body(result));
      response.set_header("Location", "/v1/reservations/" + result.reservation.id);
    } else {
      response = refusal(result);
    }
    if (result.replayed) response.set_header("Idempotent-Replayed", "true");
    respond(std::move(response));
  });
}

void get_reservation(ApiContext& api, Call call) {
  api.engine.get_reservation(call.params.at(0), [call](ReserveResult result) mutable {
    answer_end(std::move(call), std::move(result));
  });
}

void commit_reservation(ApiContext& api, Call call) {
  HttpResponse error;
  const std::optional<json::value> body = parse_object_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  const json::object* object = &body->as_object();
  ObjectReader reader(*object);
  std::string order_id;
  if (!reader.only({"order_id"}) || !reader.text("order_id", order_id, true, 128)) {
    return call.respond(reader.error());
  }
  std::string id = call.params.at(0);
  api.engine.end_reservation(
      std::move(id), ReservationState::committed, std::move(order_id),
      [call](ReserveResult result) mutable { answer_end(std::move(call), std::move(result)); });
}

void release_reservation(ApiContext& api, Call call) {
  std::string id = call.params.at(0);
  api.engine.end_reservation(
      std::move(id), ReservationState::released, "",
      [call](ReserveResult result) mutable { answer_end(std::move(call), std::move(result)); });
}

}  // namespace stockd
