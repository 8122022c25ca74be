// Reservations: POST /v1/reservations (honours Idempotency-Key), GET /v1/reservations/{id},
// POST /v1/reservations/{id}/commit, DELETE /v1/reservations/{id}.
#include <algorithm>
#include <boost/json.hpp>

#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "base/assert.hpp"
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

// Reads the shopper's lat, lon and radius_km (all three or none) into `shopper`.
std::optional<HttpResponse> read_shopper(const ObjectReader& reader, double lat, double lon,
                                         double radius_km, std::optional<GeoPoint>& shopper) {
  const bool any = reader.find("lat") || reader.find("lon") || reader.find("radius_km");
  if (!any) return std::nullopt;
  if (!reader.find("lat") || !reader.find("lon") || !reader.find("radius_km") || lat < -90 ||
      lat > 90 || lon < -180 || lon > 180 || radius_km < 0) {
    return validation_problem("radius_km",
                              "lat (-90..90), lon (-180..180) and radius_km (>= 0) go together");
  }
  shopper = GeoPoint{lat, lon};
  return std::nullopt;
}

// Idempotency-Key: scopes the key by token, fingerprints the request and claims it for
// the duration of the request (a retry meanwhile gets 409). Sets nothing without a key.
std::optional<HttpResponse> begin_request_key(ApiContext& api, const Call& call,
                                              std::string& scoped_key, std::string& request_key,
                                              Sha256Digest& fingerprint) {
  const std::string_view key = call.request.header("idempotency-key");
  if (key.empty()) return std::nullopt;
  if (key.size() > kIdempotencyKeyLengthMax) {
    return validation_problem("Idempotency-Key", "at most 255 characters");
  }
  scoped_key = call.principal.token_id + ":" + std::string(key);
  if (!api.inflight.try_begin(scoped_key)) {
    scoped_key.clear();
    ReserveResult in_flight;
    in_flight.status = ReserveStatus::idempotency_in_flight;
    return refusal(in_flight);
  }
  request_key = scoped_key;
  fingerprint = sha256("POST /v1/reservations\n", call.request.body);
  return std::nullopt;
}

json::object group_json(const GroupReservation& group) {
  json::array members;
  for (const Reservation& member : group.members) members.push_back(reservation_json(member));
  json::object out{{"id", group.id},
                   {"kind", "group"},
                   {"channel", group.channel},
                   {"location", group.location},
                   {"units", group.units},
                   {"state", reservation_state_name(group.state)},
                   {"reservations", std::move(members)}};
  if (!group.label.empty()) out["sku"] = group.label;
  return out;
}

void answer_group(const Respond& respond, const GroupResult& result, int success_status) {
  if (result.status != ReserveStatus::ok) {
    ReserveResult refused;
    refused.status = result.status;
    refused.available = result.available;
    refused.reservation.state = result.group.state;
    return respond(refusal(refused));
  }
  HttpResponse response = json_response(success_status, group_json(result.group));
  if (success_status == 201) response.set_header("Location", "/v1/reservations/" + result.group.id);
  respond(std::move(response));
}

// Bundles and multi-line holds: every component at one location, all at once or none.
void post_group_reservation(ApiContext& api, Call call, const json::object& object) {
  ObjectReader reader(object);
  std::string sku, channel_id, location_id;
  int64_t quantity = 1, ttl_seconds = 0;
  double lat = 0, lon = 0, radius_km = -1;
  if (!reader.only({"sku", "channel", "quantity", "lines", "location", "ttl_seconds", "lat", "lon",
                    "radius_km"}) ||
      !reader.text("sku", sku, false, 128) || !reader.text("channel", channel_id, true, 128) ||
      !reader.integer("quantity", quantity, 1, 1'000'000'000) ||
      !reader.text("location", location_id, false, 128) ||
      !reader.integer("ttl_seconds", ttl_seconds, 1, 7 * 24 * 3600) || !reader.number("lat", lat) ||
      !reader.number("lon", lon) || !reader.number("radius_km", radius_km)) {
    return call.respond(reader.error());
  }
  std::optional<GeoPoint> shopper;
  if (auto problem_response = read_shopper(reader, lat, lon, radius_km, shopper)) {
    return call.respond(std::move(*problem_response));
  }
  const std::shared_ptr<const Catalog> catalog = api.engine.catalog();
  const Channel* channel = catalog->find_channel(channel_id);
  if (channel == nullptr) {
    return call.respond(validation_problem("channel", "unknown channel '" + channel_id + "'",
                                           "unknown-channel", "Unknown channel"));
  }
  if (auto refusal = forbid_channel(call.principal, channel_id)) {
    return call.respond(std::move(*refusal));
  }
  const std::shared_ptr<const Channel> degraded = degraded_channel(api, *channel);
  if (degraded) channel = degraded.get();
  const auto within_limits = [&](const std::string& limited_sku, int64_t units) {
    const auto [min, max] = channel->quantity_limits(limited_sku);
    return units >= min && (max == 0 || units <= max);
  };
  GroupReserveRequest request;
  request.channel = channel_id;
  request.principal = call.principal.token_id;
  request.ttl =
      std::chrono::seconds{ttl_seconds != 0 ? ttl_seconds : channel->reservation_ttl_seconds};
  const auto add = [&](const std::string& line_sku, int64_t line_quantity) {
    if (const Bundle* bundle = catalog->find_bundle(line_sku)) {
      for (const BundleComponent& component : bundle->components) {
        request.lines.push_back({component.sku, component.quantity * line_quantity});
      }
    } else {
      request.lines.push_back({line_sku, line_quantity});
    }
  };
  if (const json::value* lines = reader.find("lines")) {
    if (!sku.empty() || reader.find("quantity") != nullptr) {
      return call.respond(validation_problem("lines", "send either sku and quantity, or lines"));
    }
    if (!lines->is_array() || lines->as_array().empty() || lines->as_array().size() > 100) {
      return call.respond(
          validation_problem("lines", "lines is an array of 1-100 {sku, quantity}"));
    }
    for (const json::value& line : lines->as_array()) {
      std::string line_sku;
      int64_t line_quantity = 0;
      if (!line.is_object())
        return call.respond(validation_problem("lines", "each line is an object"));
      ObjectReader line_reader(line.as_object());
      if (!line_reader.only({"sku", "quantity"}) || !line_reader.text("sku", line_sku, true, 128) ||
          !line_reader.integer("quantity", line_quantity, 1, 1'000'000'000, true)) {
        return call.respond(
            validation_problem("lines", "each line is {\"sku\": string, \"quantity\": >= 1}"));
      }
      if (!is_valid_sku(line_sku)) {
        return call.respond(
            validation_problem("lines", "a SKU is 1-128 characters of [A-Za-z0-9._:/-]"));
      }
      if (!within_limits(line_sku, line_quantity)) {
        return call.respond(
            validation_problem("lines", "a line's quantity is outside the channel's limits",
                               "quantity-limit", "Quantity outside the channel's limits"));
      }
      add(line_sku, line_quantity);
    }
  } else {
    const Bundle* bundle = catalog->find_bundle(sku);
    STOCKD_ASSERT(bundle != nullptr);  // post_reservation routes only bundles here
    if (!within_limits(sku, quantity)) {
      return call.respond(validation_problem("quantity", "quantity is outside the channel's limits",
                                             "quantity-limit",
                                             "Quantity outside the channel's limits"));
    }
    request.label = sku;
    request.units = quantity;
    for (const BundleComponent& component : bundle->components) {
      request.lines.push_back({component.sku, component.quantity});
    }
  }
  request.candidates =
      pool_candidates(*channel, *catalog, location_id, shopper, radius_km, Fulfilment::ship);
  if (request.candidates.empty()) {
    return call.respond(validation_problem("location", "no location of the channel can serve this",
                                           "location-not-in-channel", "Location not in channel"));
  }
  if (api.cluster != nullptr) {
    return call.respond(not_in_cluster_mode("bundle and multi-line holds"));
  }
  std::string scoped_key;
  if (auto problem_response = begin_request_key(api, call, scoped_key, request.request_key,
                                                request.request_fingerprint)) {
    return call.respond(std::move(*problem_response));
  }
  api.engine.reserve_group(
      std::move(request),
      [&api, scoped_key, respond = std::move(call.respond)](GroupResult result) {
        if (!scoped_key.empty()) api.inflight.end(scoped_key);
        HttpResponse response;
        answer_group([&](HttpResponse built) { response = std::move(built); }, result, 201);
        if (result.replayed) response.set_header("Idempotent-Replayed", "true");
        respond(std::move(response));
      });
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
  if (object->contains("lines")) return post_group_reservation(api, std::move(call), *object);
  if (const json::value* named = object->if_contains("sku");
      named != nullptr && named->is_string() &&
      api.engine.catalog()->find_bundle(named->as_string()) != nullptr) {
    return post_group_reservation(api, std::move(call), *object);
  }
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
  std::optional<GeoPoint> shopper;
  if (auto problem_response = read_shopper(reader, lat, lon, radius_km, shopper)) {
    return call.respond(std::move(*problem_response));
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
  if (auto refusal = forbid_channel(call.principal, channel_id)) {
    return call.respond(std::move(*refusal));
  }
  const std::shared_ptr<const Channel> degraded = degraded_channel(api, *channel);
  if (degraded) channel = degraded.get();
  if (const auto [min, max] = channel->quantity_limits(sku);
      quantity < min || (max != 0 && quantity > max)) {
    json::object extra;
    extra["field"] = "quantity";
    extra["min"] = min;
    extra["max"] = max;
    return call.respond(problem(422, "quantity-limit", "Quantity outside the channel's limits",
                                "channel '" + channel_id + "' allows " + std::to_string(min) +
                                    (max != 0 ? " to " + std::to_string(max) : " or more") +
                                    " units of " + sku + " per reservation",
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
  request.principal = call.principal.token_id;
  request.backorder = backorder;
  request.quantity = quantity;
  request.ttl =
      std::chrono::seconds{ttl_seconds != 0 ? ttl_seconds : channel->reservation_ttl_seconds};
  request.candidates = pool_candidates(*channel, *catalog, location_id, shopper, radius_km,
                                       pickup ? Fulfilment::pickup : Fulfilment::ship,
                                       catalog->demand_factor(sku, channel_id, api.clock.now()));
  request.prefer_safest = degraded != nullptr;
  if (request.candidates.empty()) {
    ReserveResult none;
    none.status = ReserveStatus::insufficient_stock;
    return call.respond(refusal(none));  // no location of the pool can serve this shopper
  }

  std::string scoped_key;
  if (auto problem_response = begin_request_key(api, call, scoped_key, request.request_key,
                                                request.request_fingerprint)) {
    return call.respond(std::move(*problem_response));
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
  if (call.params.at(0).starts_with("g")) {
    return api.engine.get_group(call.params.at(0),
                                [respond = std::move(call.respond)](GroupResult result) {
                                  answer_group(respond, result, 200);
                                });
  }
  api.engine.get_reservation(call.params.at(0), [call](ReserveResult result) mutable {
    answer_end(std::move(call), std::move(result));
  });
}

namespace {

// Ends a group hold as `call.principal`; a channel-restricted token only its channels' groups.
void end_group_as_principal(ApiContext& api, Call call, std::string id, ReservationState to,
                            std::string order_id) {
  if (!call.principal.restrictions.channels.empty()) {
    std::optional<HttpResponse> refusal;
    api.engine.get_group(id, [&](GroupResult found) {  // answers inline from the store
      if (found.status == ReserveStatus::ok) {
        refusal = forbid_channel(call.principal, found.group.channel);
      }
    });
    if (refusal) return call.respond(std::move(*refusal));
  }
  const std::string principal = call.principal.token_id;
  api.engine.end_group(
      std::move(id), to, std::move(order_id),
      [respond = std::move(call.respond)](GroupResult result) {
        answer_group(respond, result, 200);
      },
      principal);
}

// Ends a single hold as `call.principal`; a channel-restricted token only its channels' holds.
void end_as_principal(ApiContext& api, Call call, std::string id, ReservationState to,
                      std::string order_id) {
  if (call.principal.restrictions.channels.empty()) {
    const std::string principal = call.principal.token_id;
    return api.engine.end_reservation(
        std::move(id), to, std::move(order_id),
        [call](ReserveResult result) mutable { answer_end(std::move(call), std::move(result)); },
        principal);
  }
  const std::string lookup = id;
  api.engine.get_reservation(lookup, [&api, call, id = std::move(id), to,
                                      order_id = std::move(order_id)](ReserveResult found) mutable {
    if (found.status == ReserveStatus::ok) {
      if (auto refusal = forbid_channel(call.principal, found.reservation.channel)) {
        return call.respond(std::move(*refusal));
      }
    }
    const std::string principal = call.principal.token_id;
    api.engine.end_reservation(
        std::move(id), to, std::move(order_id),
        [call](ReserveResult result) mutable { answer_end(std::move(call), std::move(result)); },
        principal);
  });
}

}  // namespace

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
  if (id.starts_with("g")) {
    return end_group_as_principal(api, std::move(call), std::move(id), ReservationState::committed,
                                  std::move(order_id));
  }
  end_as_principal(api, std::move(call), std::move(id), ReservationState::committed,
                   std::move(order_id));
}

void release_reservation(ApiContext& api, Call call) {
  std::string id = call.params.at(0);
  if (id.starts_with("g")) {
    return end_group_as_principal(api, std::move(call), std::move(id), ReservationState::released,
                                  "");
  }
  end_as_principal(api, std::move(call), std::move(id), ReservationState::released, "");
}

}  // namespace stockd
