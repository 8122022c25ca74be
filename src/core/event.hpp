// The one schema for every stock-changing fact (DESIGN §3), and the outcome codes a
// fact can get. Enum values are stable: they are stored in ledger records. Names are
// the wire codes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/time.hpp"

namespace stockd {

enum class EventType : uint8_t {
  sale = 1,
  shipment = 2,
  cancellation = 3,
  return_ = 4,  // wire name "return"
  restock = 5,
  transfer_out = 6,
  transfer_in = 7,
  receipt = 8,
  shrink = 9,
  damage = 10,
  adjustment = 11,
  status_change = 12,
  count = 13,
};
inline constexpr EventType kAllEventTypes[] = {
    EventType::sale,    EventType::shipment,     EventType::cancellation, EventType::return_,
    EventType::restock, EventType::transfer_out, EventType::transfer_in,  EventType::receipt,
    EventType::shrink,  EventType::damage,       EventType::adjustment,   EventType::status_change,
    EventType::count};

std::string_view event_type_name(EventType type);
std::optional<EventType> event_type_from_name(std::string_view name);

inline constexpr std::string_view kCancellationReasons[] = {
    "oversold",        "late_vendor_receipt", "damaged_discovery",
    "address_failure", "customer_request",    "other"};
inline constexpr std::string_view kReturnConditions[] = {"resellable", "damaged",
                                                         "needs_inspection"};
// Whether `reason` is one of kCancellationReasons (events and order cancellations).
bool is_cancellation_reason(std::string_view reason);

struct Event {
  std::string id;
  std::string source;
  EventType type = EventType::sale;
  std::string sku;
  std::string location;
  int64_t quantity = 0;
  Timestamp occurred_at{};
  std::string reason;
  std::string condition;
  std::string reference;
  std::string to_location;
  std::string from_status;
  std::string to_status;
  // Compare-and-set (HTTP If-Match): apply only if the position's version is this.
  // Not part of the payload: a retry without it is the same event.
  std::optional<uint64_t> if_version;
  // Who sent it (the API token id; "" for stockd's own facts and the CLI). Recorded in
  // the ledger record, not part of the payload: the same event from another token is a
  // duplicate, not a conflict.
  std::string principal;
  friend bool operator==(const Event&, const Event&) = default;
};

enum class EventStatus : uint8_t {
  applied = 1,
  duplicate = 2,
  superseded = 3,
  rejected = 4,
};
std::string_view event_status_name(EventStatus status);

// Why an event was rejected, checked in this order; the first failure wins.
enum class EventError : uint8_t {
  none = 0,
  missing_id = 1,
  invalid_id = 2,
  unknown_source = 3,
  unknown_event_type = 4,
  invalid_sku = 5,
  unknown_location = 6,
  quantity_out_of_range = 7,
  missing_occurred_at = 8,
  invalid_occurred_at = 9,
  missing_reason = 10,
  invalid_reason = 11,
  missing_condition = 12,
  invalid_condition = 13,
  missing_to_location = 14,
  unknown_to_location = 15,
  transfer_to_self = 16,
  missing_status = 17,
  invalid_status = 18,
  same_status = 19,
  text_too_long = 20,
  unexpected_field = 21,
  idempotency_conflict = 22,   // same (source, id), different payload
  idempotency_in_flight = 23,  // same (source, id) being applied by another shard now
  overloaded = 24,             // the shard's queue was full; retry later
  malformed = 25,              // not an event object (wrong JSON types, invalid JSON line)
  version_mismatch = 26,       // if_version differs from the position's version
};
inline constexpr uint8_t kEventErrorMax = 26;
std::string_view event_error_name(EventError error);
// The JSON field an error is about ("" when it is about the whole event).
std::string_view event_error_field(EventError error);

// Anomalies a fact may raise: recorded, counted, never a reason to refuse a fact.
// Bit flags; stable values.
enum class Anomaly : uint32_t {
  negative_on_hand = 1u << 0,
  oversold = 1u << 1,  // available fell below zero: promises exceed on-hand
  negative_damaged = 1u << 2,
  negative_quarantine = 1u << 3,
  negative_non_sellable = 1u << 4,
  exceeds_allocated = 1u << 5,    // a cancellation/shipment larger than what was allocated
  exceeds_expected = 1u << 6,     // a receipt/transfer_in larger than incoming/in_transit
  clock_drift_clamped = 1u << 7,  // occurred_at was too far in the future
  // A resellable return at a node that feeds a channel but never carried the SKU went to
  // quarantine: on_hand there would be availability nobody can sell (returns normalization).
  return_quarantined = 1u << 8,
};
inline constexpr Anomaly kAllAnomalies[] = {
    Anomaly::negative_on_hand,      Anomaly::oversold,
    Anomaly::negative_damaged,      Anomaly::negative_quarantine,
    Anomaly::negative_non_sellable, Anomaly::exceeds_allocated,
    Anomaly::exceeds_expected,      Anomaly::clock_drift_clamped,
    Anomaly::return_quarantined};
std::string_view anomaly_name(Anomaly anomaly);

}  // namespace stockd
