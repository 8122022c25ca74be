#include "codec/json.hpp"

#include <boost/json.hpp>

#include "base/assert.hpp"
#include "base/limits.hpp"
#include "core/position.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

struct FieldRule {
  std::string_view name;
  std::string Event::*member;  // null for fields with their own parsing
};

constexpr FieldRule kTextFields[] = {
    {"id", &Event::id},
    {"source", &Event::source},
    {"sku", &Event::sku},
    {"location", &Event::location},
    {"reason", &Event::reason},
    {"condition", &Event::condition},
    {"reference", &Event::reference},
    {"to_location", &Event::to_location},
    {"from_status", &Event::from_status},
    {"to_status", &Event::to_status},
};

ParsedEvent failed(ParsedEvent parsed, EventError error, std::string field, std::string detail) {
  parsed.error = error;
  parsed.error_field = std::move(field);
  parsed.detail = std::move(detail);
  return parsed;
}

}  // namespace

ParsedEvent parse_event(const json::value& value) {
  ParsedEvent parsed;
  if (!value.is_object()) {
    return failed(std::move(parsed), EventError::malformed, "", "an event must be a JSON object");
  }
  const json::object& object = value.as_object();
  // The id first, so even a rejected event's result says which event it was.
  if (const json::value* id = object.if_contains("id"); id != nullptr && id->is_string()) {
    parsed.event.id = std::string(id->as_string());
  }
  bool has_type = false;
  bool has_quantity = false;
  bool has_occurred_at = false;
  for (const auto& [key, field] : object) {
    const std::string_view name = key;
    bool known = false;
    for (const FieldRule& rule : kTextFields) {
      if (rule.name != name) continue;
      known = true;
      if (!field.is_string()) {
        return failed(std::move(parsed), EventError::malformed, std::string(name),
                      std::string(name) + " must be a string");
      }
      if (field.as_string().size() > limits::text_length_max) {
        return failed(std::move(parsed), EventError::text_too_long, std::string(name),
                      std::string(name) + " is longer than " +
                          std::to_string(limits::text_length_max) + " characters");
      }
      parsed.event.*(rule.member) = std::string(field.as_string());
    }
    if (known) continue;
    if (name == "type") {
      if (!field.is_string()) {
        return failed(std::move(parsed), EventError::malformed, "type", "type must be a string");
      }
      const auto type = event_type_from_name(field.as_string());
      if (!type) {
        return failed(std::move(parsed), EventError::unknown_event_type, "type",
                      "unknown event type '" + std::string(field.as_string()) + "'");
      }
      parsed.event.type = *type;
      has_type = true;
    } else if (name == "quantity") {
      if (field.is_int64()) {
        parsed.event.quantity = field.as_int64();
      } else if (field.is_uint64()) {
        return failed(std::move(parsed), EventError::quantity_out_of_range, "quantity",
                      "quantity is too large");
      } else {
        return failed(std::move(parsed), EventError::malformed, "quantity",
                      "quantity must be a whole number");
      }
      has_quantity = true;
    } else if (name == "occurred_at") {
      if (!field.is_string()) {
        return failed(std::move(parsed), EventError::invalid_occurred_at, "occurred_at",
                      "occurred_at must be an RFC 3339 string");
      }
      const auto at = parse_rfc3339(field.as_string());
      if (!at || micros_of(*at) <= 0) {
        return failed(std::move(parsed), EventError::invalid_occurred_at, "occurred_at",
                      "occurred_at is not an RFC 3339 timestamp after 1970");
      }
      parsed.event.occurred_at = *at;
      has_occurred_at = true;
    } else {
      return failed(std::move(parsed), EventError::unexpected_field, std::string(name),
                    "unknown field '" + std::string(name) + "'");
    }
  }
  if (!has_type)
    return failed(std::move(parsed), EventError::unknown_event_type, "type", "type is required");
  if (!has_quantity) {
    return failed(std::move(parsed), EventError::quantity_out_of_range, "quantity",
                  "quantity is required");
  }
  if (!has_occurred_at) {
    return failed(std::move(parsed), EventError::missing_occurred_at, "occurred_at",
                  "occurred_at is required");
  }
  return parsed;
}

ParsedEvent parse_event_text(std::string_view text) {
  boost::system::error_code error;
  json::parse_options options;
  options.max_depth = 8;
  const json::value value = json::parse(text, error, {}, options);
  if (error) {
    ParsedEvent parsed;
    parsed.error = EventError::malformed;
    parsed.detail = "invalid JSON: " + error.message();
    return parsed;
  }
  return parse_event(value);
}

void submit_parsed_events(Engine& engine, std::vector<ParsedEvent> parsed,
                          std::function<void(std::vector<EventResult>)> done) {
  std::vector<EventResult> early(parsed.size());
  std::vector<Event> ready;
  std::vector<size_t> ready_index;
  for (size_t i = 0; i < parsed.size(); ++i) {
    if (parsed[i].error == EventError::none) {
      ready_index.push_back(i);
      ready.push_back(std::move(parsed[i].event));
    } else {
      EventResult& result = early[i];
      result.id = parsed[i].event.id;
      result.status = EventStatus::rejected;
      result.error = parsed[i].error;
      result.error_field = parsed[i].error_field;
    }
  }
  if (ready.empty()) {
    done(std::move(early));
    return;
  }
  engine.submit_events(std::move(ready),
                       [early = std::move(early), ready_index = std::move(ready_index),
                        done = std::move(done)](std::vector<EventResult> results) mutable {
                         STOCKD_ASSERT(results.size() == ready_index.size());
                         for (size_t k = 0; k < results.size(); ++k)
                           early[ready_index[k]] = std::move(results[k]);
                         done(std::move(early));
                       });
}

json::array anomalies_json(uint32_t anomalies) {
  json::array out;
  for (const Anomaly anomaly : kAllAnomalies) {
    if ((anomalies & static_cast<uint32_t>(anomaly)) != 0) out.emplace_back(anomaly_name(anomaly));
  }
  return out;
}

json::object event_result_json(const EventResult& result) {
  json::object out;
  out["id"] = result.id;
  out["status"] = event_status_name(result.status);
  if (result.status == EventStatus::rejected) {
    out["error"] = event_error_name(result.error);
    if (!result.error_field.empty()) out["field"] = result.error_field;
  } else {
    out["version"] = result.version;
    if (result.anomalies != 0) out["anomalies"] = anomalies_json(result.anomalies);
  }
  return out;
}

json::object position_json(const PositionView& view) {
  const Position& position = view.position;
  json::object out;
  out["location"] = view.location;
  for (const Bucket bucket : kAllBuckets) out[bucket_name(bucket)] = position.bucket(bucket);
  out["available"] = available(position);
  out["version"] = position.version;
  out["last_event_at"] = format_rfc3339(position.last_event_at);
  if (micros_of(position.last_count_at) > 0) {
    out["last_count_at"] = format_rfc3339(position.last_count_at);
  }
  if (position.last_set) {
    json::object last;
    last["source"] = position.last_set->source;
    last["priority"] = position.last_set->priority;
    last["as_of"] = format_rfc3339(position.last_set->as_of);
    out["last_set"] = std::move(last);
  }
  return out;
}

json::object stock_json(const StockView& view) {
  json::object out;
  out["sku"] = view.sku;
  json::array positions;
  for (const PositionView& position : view.positions) positions.push_back(position_json(position));
  out["positions"] = std::move(positions);
  if (view.from_last_durable_state) out["storage_degraded"] = true;
  return out;
}

json::object reservation_json(const Reservation& reservation) {
  json::object out;
  out["id"] = reservation.id;
  out["sku"] = reservation.sku;
  out["location"] = reservation.location;
  if (!reservation.channel.empty()) out["channel"] = reservation.channel;
  out["quantity"] = reservation.quantity;
  out["state"] = reservation_state_name(reservation.state);
  out["created_at"] = format_rfc3339(reservation.created_at);
  out["expires_at"] = format_rfc3339(reservation.expires_at);
  if (!reservation.order_id.empty()) out["order_id"] = reservation.order_id;
  if (reservation.state != ReservationState::active) {
    out["ended_at"] = format_rfc3339(reservation.ended_at);
  }
  if (reservation.backorder) {
    out["backorder"] = true;
    out["purchase_order_id"] = reservation.purchase_order_id;
    out["promise_from"] = format_rfc3339(reservation.promise_from);
    out["promise_to"] = format_rfc3339(reservation.promise_to);
    out["at_risk"] = reservation.at_risk;
  }
  return out;
}

}  // namespace stockd
