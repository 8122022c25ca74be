#include "core/event.hpp"

#include "base/assert.hpp"

namespace stockd {

std::string_view event_type_name(EventType type) {
  switch (type) {
    case EventType::sale:
      return "sale";
    case EventType::shipment:
      return "shipment";
    case EventType::cancellation:
      return "cancellation";
    case EventType::return_:
      return "return";
    case EventType::restock:
      return "restock";
    case EventType::transfer_out:
      return "transfer_out";
    case EventType::transfer_in:
      return "transfer_in";
    case EventType::receipt:
      return "receipt";
    case EventType::shrink:
      return "shrink";
    case EventType::damage:
      return "damage";
    case EventType::adjustment:
      return "adjustment";
    case EventType::status_change:
      return "status_change";
    case EventType::count:
      return "count";
  }
  STOCKD_UNREACHABLE();
}

std::optional<EventType> event_type_from_name(std::string_view name) {
  for (const EventType type : kAllEventTypes) {
    if (event_type_name(type) == name) return type;
  }
  return std::nullopt;
}

std::string_view event_status_name(EventStatus status) {
  switch (status) {
    case EventStatus::applied:
      return "applied";
    case EventStatus::duplicate:
      return "duplicate";
    case EventStatus::superseded:
      return "superseded";
    case EventStatus::rejected:
      return "rejected";
  }
  STOCKD_UNREACHABLE();
}

std::string_view event_error_name(EventError error) {
  switch (error) {
    case EventError::none:
      return "none";
    case EventError::missing_id:
      return "missing_id";
    case EventError::invalid_id:
      return "invalid_id";
    case EventError::unknown_source:
      return "unknown_source";
    case EventError::unknown_event_type:
      return "unknown_event_type";
    case EventError::invalid_sku:
      return "invalid_sku";
    case EventError::unknown_location:
      return "unknown_location";
    case EventError::quantity_out_of_range:
      return "quantity_out_of_range";
    case EventError::missing_occurred_at:
      return "missing_occurred_at";
    case EventError::invalid_occurred_at:
      return "invalid_occurred_at";
    case EventError::missing_reason:
      return "missing_reason";
    case EventError::invalid_reason:
      return "invalid_reason";
    case EventError::missing_condition:
      return "missing_condition";
    case EventError::invalid_condition:
      return "invalid_condition";
    case EventError::missing_to_location:
      return "missing_to_location";
    case EventError::unknown_to_location:
      return "unknown_to_location";
    case EventError::transfer_to_self:
      return "transfer_to_self";
    case EventError::missing_status:
      return "missing_status";
    case EventError::invalid_status:
      return "invalid_status";
    case EventError::same_status:
      return "same_status";
    case EventError::text_too_long:
      return "text_too_long";
    case EventError::unexpected_field:
      return "unexpected_field";
    case EventError::idempotency_conflict:
      return "idempotency_conflict";
    case EventError::idempotency_in_flight:
      return "idempotency_in_flight";
    case EventError::overloaded:
      return "overloaded";
    case EventError::malformed:
      return "malformed";
    case EventError::version_mismatch:
      return "version_mismatch";
  }
  STOCKD_UNREACHABLE();
}

std::string_view event_error_field(EventError error) {
  switch (error) {
    case EventError::missing_id:
    case EventError::invalid_id:
    case EventError::idempotency_conflict:
    case EventError::idempotency_in_flight:
      return "id";
    case EventError::unknown_source:
      return "source";
    case EventError::unknown_event_type:
      return "type";
    case EventError::invalid_sku:
      return "sku";
    case EventError::unknown_location:
      return "location";
    case EventError::quantity_out_of_range:
      return "quantity";
    case EventError::missing_occurred_at:
    case EventError::invalid_occurred_at:
      return "occurred_at";
    case EventError::missing_reason:
    case EventError::invalid_reason:
      return "reason";
    case EventError::missing_condition:
    case EventError::invalid_condition:
      return "condition";
    case EventError::missing_to_location:
    case EventError::unknown_to_location:
    case EventError::transfer_to_self:
      return "to_location";
    case EventError::missing_status:
    case EventError::invalid_status:
    case EventError::same_status:
      return "to_status";
    case EventError::none:
    case EventError::text_too_long:
    case EventError::unexpected_field:
    case EventError::overloaded:
    case EventError::malformed:
      return "";
    case EventError::version_mismatch:
      return "if_version";
  }
  STOCKD_UNREACHABLE();
}

std::string_view anomaly_name(Anomaly anomaly) {
  switch (anomaly) {
    case Anomaly::negative_on_hand:
      return "negative_on_hand";
    case Anomaly::oversold:
      return "oversold";
    case Anomaly::negative_damaged:
      return "negative_damaged";
    case Anomaly::negative_quarantine:
      return "negative_quarantine";
    case Anomaly::negative_non_sellable:
      return "negative_non_sellable";
    case Anomaly::exceeds_allocated:
      return "exceeds_allocated";
    case Anomaly::exceeds_expected:
      return "exceeds_expected";
    case Anomaly::clock_drift_clamped:
      return "clock_drift_clamped";
    case Anomaly::return_quarantined:
      return "return_quarantined";
  }
  STOCKD_UNREACHABLE();
}

}  // namespace stockd
