#include "connectors/debezium.hpp"

#include <boost/json.hpp>
#include <cmath>

namespace json = boost::json;

namespace stockd {
namespace {

ParsedEvent unreadable(std::string detail) {
  ParsedEvent out;
  out.error = EventError::malformed;
  out.error_field = "message";
  out.detail = std::move(detail);
  return out;
}

std::optional<std::string> text_column(const json::object& row, const std::string& column) {
  const json::value* value = row.if_contains(column);
  if (value == nullptr) return std::nullopt;
  if (value->is_string()) return std::string(value->as_string());
  if (value->is_int64()) return std::to_string(value->as_int64());
  if (value->is_uint64()) return std::to_string(value->as_uint64());
  return std::nullopt;
}

std::optional<int64_t> quantity_column(const json::object& row, const std::string& column) {
  const json::value* value = row.if_contains(column);
  if (value == nullptr) return std::nullopt;
  if (value->is_int64()) return value->as_int64();
  if (value->is_uint64() && value->as_uint64() <= INT64_MAX) {
    return static_cast<int64_t>(value->as_uint64());
  }
  if (value->is_double()) {
    const double number = value->as_double();
    if (std::isfinite(number) && std::floor(number) == number && std::fabs(number) < 9e15) {
      return static_cast<int64_t>(number);
    }
    return std::nullopt;
  }
  if (value->is_string()) {
    const std::string text(value->as_string());
    char* end = nullptr;
    const long long parsed = std::strtoll(text.c_str(), &end, 10);
    if (!text.empty() && end == text.c_str() + text.size()) return parsed;
  }
  return std::nullopt;
}

// Epoch milliseconds up to the year 9999 (found by fuzz_debezium: a larger number
// overflowed the conversion to microseconds); -1 when absent or out of range.
int64_t millis_of(const json::value* value) {
  constexpr int64_t kYear9999Ms = 253'402'300'800'000;
  if (value == nullptr || !value->is_number()) return -1;
  boost::system::error_code error;
  const int64_t ms = value->to_number<int64_t>(error);
  return !error && ms >= 0 && ms < kYear9999Ms ? ms : -1;
}

struct Place {
  std::string sku;
  std::string location;
  int64_t quantity = 0;
};

// The row's SKU, location and quantity under the mapping; "" reason when all are there.
std::string place_of(const CdcMapping& mapping, const json::value& image, Place& out) {
  if (!image.is_object()) return "the row image is not an object";
  const json::object& row = image.as_object();
  const std::optional<std::string> sku = text_column(row, mapping.sku_column);
  if (!sku) return "column '" + mapping.sku_column + "' (sku) is missing or not text";
  out.sku = *sku;
  if (!mapping.location_column.empty()) {
    const std::optional<std::string> location = text_column(row, mapping.location_column);
    if (!location) return "column '" + mapping.location_column + "' (location) is missing";
    out.location = *location;
  } else {
    out.location = mapping.location;
  }
  const std::optional<int64_t> quantity = quantity_column(row, mapping.quantity_column);
  if (!quantity) return "column '" + mapping.quantity_column + "' is missing or not a whole number";
  out.quantity = *quantity;
  return "";
}

ParsedEvent fact(const CdcMapping& mapping, EventType type, const Place& place, int64_t quantity,
                 Timestamp at, std::string id) {
  ParsedEvent out;
  Event& event = out.event;
  event.id = std::move(id);
  event.source = mapping.source;
  event.type = type;
  event.sku = place.sku;
  event.location = place.location;
  event.quantity = quantity;
  event.occurred_at = at;
  event.reason = "cdc";
  event.reference = mapping.table.empty() ? mapping.topic : mapping.table;
  return out;
}

}  // namespace

std::string check_cdc_mapping(const CdcMapping& mapping) {
  if (mapping.topic.empty()) return "topic is required";
  if (mapping.source.empty()) return "source is required";
  if (mapping.sku_column.empty()) return "sku_column is required";
  if (mapping.quantity_column.empty()) return "quantity_column is required";
  if (mapping.location_column.empty() == mapping.location.empty()) {
    return "set location_column or location (one of them)";
  }
  return "";
}

std::vector<ParsedEvent> debezium_events(const CdcMapping& mapping, std::string_view value,
                                         int32_t partition, int64_t offset) {
  std::vector<ParsedEvent> out;
  if (value.empty()) return out;  // a tombstone: log compaction's delete marker
  boost::system::error_code error;
  const json::value message = json::parse(value, error);
  if (error || !message.is_object()) {
    out.push_back(unreadable("the message is not a JSON object"));
    return out;
  }
  const json::object* envelope = &message.as_object();
  if (const json::value* payload = envelope->if_contains("payload");
      payload && payload->is_object()) {
    envelope = &payload->as_object();
  }
  const json::value* op = envelope->if_contains("op");
  if (op == nullptr || !op->is_string() || op->as_string().size() != 1) {
    out.push_back(unreadable("not a Debezium change event: no op"));
    return out;
  }
  const char kind = op->as_string()[0];
  if (kind != 'c' && kind != 'r' && kind != 'u' && kind != 'd') {
    out.push_back(unreadable(std::string("unknown op '") + kind + "'"));
    return out;
  }
  int64_t ts_ms = -1;
  if (const json::value* source = envelope->if_contains("source"); source && source->is_object()) {
    if (!mapping.table.empty()) {
      const json::value* table = source->as_object().if_contains("table");
      if (table == nullptr || !table->is_string() || table->as_string() != mapping.table) {
        return out;  // another table on the same topic
      }
    }
    ts_ms = millis_of(source->as_object().if_contains("ts_ms"));
  }
  if (ts_ms < 0) {
    ts_ms = millis_of(envelope->if_contains("ts_ms"));
  }
  if (ts_ms < 0) {
    out.push_back(unreadable("the change has no source.ts_ms or ts_ms"));
    return out;
  }
  const Timestamp at = timestamp_from_micros(ts_ms * 1000);
  const std::string id =
      "cdc:" + mapping.topic + ":" + std::to_string(partition) + ":" + std::to_string(offset);
  std::optional<Place> before;
  std::optional<Place> after;
  for (const auto& [name, slot] : {std::pair{"before", &before}, std::pair{"after", &after}}) {
    const json::value* image = envelope->if_contains(name);
    if (image == nullptr || image->is_null()) continue;
    Place place;
    if (std::string reason = place_of(mapping, *image, place); !reason.empty()) {
      out.push_back(unreadable(std::string(name) + ": " + reason));
      return out;
    }
    *slot = std::move(place);
  }
  const bool removes = kind == 'd';
  if (removes ? !before : !after) {
    out.push_back(unreadable(removes ? "a delete without a before image"
                                     : "a change without an after image"));
    return out;
  }
  if (mapping.mode == CdcMode::absolute) {
    if (removes) {
      out.push_back(fact(mapping, EventType::count, *before, 0, at, id));
      return out;
    }
    const bool moved = before && (before->sku != after->sku || before->location != after->location);
    if (moved) out.push_back(fact(mapping, EventType::count, *before, 0, at, id + ":0"));
    out.push_back(
        fact(mapping, EventType::count, *after, after->quantity, at, moved ? id + ":1" : id));
    return out;
  }
  // Delta: the movement this change makes.
  if (removes) {
    if (before->quantity != 0) {
      out.push_back(fact(mapping, EventType::adjustment, *before, -before->quantity, at, id));
    }
    return out;
  }
  if (kind == 'u' && before) {
    if (before->sku != after->sku || before->location != after->location) {
      if (before->quantity != 0) {
        out.push_back(
            fact(mapping, EventType::adjustment, *before, -before->quantity, at, id + ":0"));
      }
      if (after->quantity != 0) {
        out.push_back(fact(mapping, EventType::adjustment, *after, after->quantity, at, id + ":1"));
      }
      return out;
    }
    const int64_t change = after->quantity - before->quantity;
    if (change != 0) out.push_back(fact(mapping, EventType::adjustment, *after, change, at, id));
    return out;
  }
  if (after->quantity != 0) {
    out.push_back(fact(mapping, EventType::adjustment, *after, after->quantity, at, id));
  }
  return out;
}

}  // namespace stockd
