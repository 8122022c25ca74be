#include "core/event_rules.hpp"

#include <algorithm>
#include <span>

#include "base/assert.hpp"
#include "base/limits.hpp"
#include "core/ids.hpp"
#include "core/velocity.hpp"

namespace stockd {
namespace {

bool contains(std::span<const std::string_view> values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// Consumes up to `quantity` of an expectation bucket (allocated, incoming,
// in_transit) without driving it below zero: a fact larger than what was expected is
// still a fact, but a negative expectation would inflate availability.
int64_t consumed(int64_t expected, int64_t quantity) {
  return std::min(quantity, std::max<int64_t>(expected, 0));
}

uint32_t bit(Anomaly anomaly) { return static_cast<uint32_t>(anomaly); }

}  // namespace

bool is_cancellation_reason(std::string_view reason) {
  return contains(kCancellationReasons, reason);
}

void BucketDeltas::push(BucketDelta delta) {
  STOCKD_ASSERT(size < items.size());
  items[size++] = delta;
}

bool BucketDeltas::touches(Target target) const {
  return std::any_of(begin(), end(), [&](const BucketDelta& d) { return d.target == target; });
}

EventCheck validate_event(const Event& event, const Catalog& catalog) {
  if (event.id.empty()) return {EventError::missing_id, "id"};
  if (!is_valid_id(event.id)) return {EventError::invalid_id, "id"};
  if (catalog.find_source(event.source) == nullptr) return {EventError::unknown_source, "source"};
  if (!is_valid_sku(event.sku)) return {EventError::invalid_sku, "sku"};
  if (catalog.find_location(event.location) == nullptr) {
    return {EventError::unknown_location, "location"};
  }
  const EventType type = event.type;
  if (type == EventType::adjustment) {
    if (event.quantity == 0 || event.quantity < -limits::quantity_max ||
        event.quantity > limits::quantity_max) {
      return {EventError::quantity_out_of_range, "quantity"};
    }
  } else if (type == EventType::count) {
    if (event.quantity < 0 || event.quantity > limits::quantity_max) {
      return {EventError::quantity_out_of_range, "quantity"};
    }
  } else if (event.quantity < 1 || event.quantity > limits::quantity_max) {
    return {EventError::quantity_out_of_range, "quantity"};
  }
  if (micros_of(event.occurred_at) <= 0) return {EventError::missing_occurred_at, "occurred_at"};

  if (event.reason.size() > limits::text_length_max) return {EventError::text_too_long, "reason"};
  if (event.reference.size() > limits::text_length_max) {
    return {EventError::text_too_long, "reference"};
  }
  if (type == EventType::cancellation) {
    if (event.reason.empty()) return {EventError::missing_reason, "reason"};
    if (!is_cancellation_reason(event.reason)) return {EventError::invalid_reason, "reason"};
  }
  if ((type == EventType::shrink || type == EventType::adjustment) && event.reason.empty()) {
    return {EventError::missing_reason, "reason"};
  }
  if (type == EventType::return_) {
    if (event.condition.empty()) return {EventError::missing_condition, "condition"};
    if (!contains(kReturnConditions, event.condition)) {
      return {EventError::invalid_condition, "condition"};
    }
  } else if (!event.condition.empty()) {
    return {EventError::unexpected_field, "condition"};
  }
  if (type == EventType::transfer_out) {
    if (event.to_location.empty()) return {EventError::missing_to_location, "to_location"};
    if (catalog.find_location(event.to_location) == nullptr) {
      return {EventError::unknown_to_location, "to_location"};
    }
    if (event.to_location == event.location) return {EventError::transfer_to_self, "to_location"};
  } else if (!event.to_location.empty()) {
    return {EventError::unexpected_field, "to_location"};
  }
  if (type == EventType::status_change) {
    if (event.from_status.empty()) return {EventError::missing_status, "from_status"};
    if (event.to_status.empty()) return {EventError::missing_status, "to_status"};
    const auto from = bucket_from_name(event.from_status);
    if (!from || !is_status_bucket(*from)) return {EventError::invalid_status, "from_status"};
    const auto to = bucket_from_name(event.to_status);
    if (!to || !is_status_bucket(*to)) return {EventError::invalid_status, "to_status"};
    if (*from == *to) return {EventError::same_status, "to_status"};
  } else if (!event.from_status.empty()) {
    return {EventError::unexpected_field, "from_status"};
  } else if (!event.to_status.empty()) {
    return {EventError::unexpected_field, "to_status"};
  }
  return {};
}

EventDecision decide_event(const Event& event, int64_t source_priority, const Position& at_location,
                           const Position& at_to_location, Timestamp received_at,
                           const RuleOptions& options, bool carried_here) {
  EventDecision decision;
  decision.occurred_at = event.occurred_at;
  if (event.occurred_at > received_at + options.clock_drift_tolerance) {
    decision.occurred_at = received_at;
    decision.anomalies |= bit(Anomaly::clock_drift_clamped);
  }
  const int64_t q = event.quantity;
  const auto here = [&](Bucket bucket, int64_t delta) {
    decision.deltas.push({Target::location, bucket, delta});
  };
  bool exceeds_allocated = false;
  bool exceeds_expected = false;

  switch (event.type) {
    case EventType::sale:
      here(Bucket::on_hand, -q);
      break;
    case EventType::shipment: {
      const int64_t from_allocated = consumed(at_location.allocated, q);
      exceeds_allocated = from_allocated < q;
      if (from_allocated > 0) here(Bucket::allocated, -from_allocated);
      here(Bucket::on_hand, -q);
      break;
    }
    case EventType::cancellation: {
      const int64_t from_allocated = consumed(at_location.allocated, q);
      exceeds_allocated = from_allocated < q;
      if (from_allocated > 0) here(Bucket::allocated, -from_allocated);
      break;
    }
    case EventType::return_:
      if (event.condition == "resellable" && !carried_here) {
        here(Bucket::quarantine, q);
        decision.anomalies |= bit(Anomaly::return_quarantined);
      } else if (event.condition == "resellable") {
        here(Bucket::on_hand, q);
      } else if (event.condition == "damaged") {
        here(Bucket::damaged, q);
      } else {
        STOCKD_ASSERT(event.condition == "needs_inspection");  // validate_event checked it
        here(Bucket::quarantine, q);
      }
      break;
    case EventType::restock:
      here(Bucket::quarantine, -q);
      here(Bucket::on_hand, q);
      break;
    case EventType::transfer_out:
      here(Bucket::on_hand, -q);
      decision.deltas.push({Target::to_location, Bucket::in_transit, q});
      break;
    case EventType::transfer_in: {
      const int64_t from_transit = consumed(at_location.in_transit, q);
      exceeds_expected = from_transit < q;
      if (from_transit > 0) here(Bucket::in_transit, -from_transit);
      here(Bucket::on_hand, q);
      break;
    }
    case EventType::receipt: {
      const int64_t from_incoming = consumed(at_location.incoming, q);
      exceeds_expected = at_location.incoming > 0 && from_incoming < q;
      if (from_incoming > 0) here(Bucket::incoming, -from_incoming);
      here(Bucket::on_hand, q);
      break;
    }
    case EventType::shrink:
      here(Bucket::on_hand, -q);
      break;
    case EventType::damage:
      here(Bucket::on_hand, -q);
      here(Bucket::damaged, q);
      break;
    case EventType::adjustment:
      here(Bucket::on_hand, q);
      break;
    case EventType::status_change: {
      const auto from = bucket_from_name(event.from_status);
      const auto to = bucket_from_name(event.to_status);
      STOCKD_ASSERT(from.has_value());
      STOCKD_ASSERT(to.has_value());
      here(*from, -q);
      here(*to, q);
      break;
    }
    case EventType::count: {
      const std::optional<LastSet>& last = at_location.last_set;
      if (last && (source_priority < last->priority ||
                   (source_priority == last->priority && decision.occurred_at < last->as_of))) {
        decision.status = EventStatus::superseded;
        return decision;  // recorded, not applied
      }
      const int64_t variance = q - at_location.on_hand;
      if (variance != 0) here(Bucket::on_hand, variance);
      decision.sets_count = true;
      break;
    }
  }
  if (exceeds_allocated) decision.anomalies |= bit(Anomaly::exceeds_allocated);
  if (exceeds_expected) decision.anomalies |= bit(Anomaly::exceeds_expected);

  // A delta at or before the last absolute set from a source of at least its priority is
  // already in that count: its on_hand part at the counted location is not applied twice.
  // Its other parts (allocated, damaged, a transfer's in_transit elsewhere) are not covered
  // by a count of on_hand and still apply.
  const std::optional<LastSet>& last = at_location.last_set;
  if (event.type != EventType::count && last && last->priority >= source_priority &&
      decision.occurred_at <= last->as_of) {
    BucketDeltas kept;
    for (const BucketDelta& delta : decision.deltas) {
      if (delta.target == Target::location && delta.bucket == Bucket::on_hand) continue;
      kept.push(delta);
    }
    decision.deltas = kept;
    decision.status = EventStatus::superseded;
  }

  // Anomalies, judged on the position as it will be.
  Position after = at_location;
  for (const BucketDelta& delta : decision.deltas) {
    if (delta.target == Target::location) after.bucket(delta.bucket) += delta.delta;
  }
  if (after.on_hand < 0 && after.on_hand < at_location.on_hand) {
    decision.anomalies |= bit(Anomaly::negative_on_hand);
  }
  // Oversold: a fact left less than what is promised (holds and allocations).
  const bool has_promises = after.reserved + after.allocated > 0;
  if (has_promises && available(after) < 0 && available(after) < available(at_location)) {
    decision.anomalies |= bit(Anomaly::oversold);
  }
  if (after.damaged < 0 && after.damaged < at_location.damaged) {
    decision.anomalies |= bit(Anomaly::negative_damaged);
  }
  if (after.quarantine < 0 && after.quarantine < at_location.quarantine) {
    decision.anomalies |= bit(Anomaly::negative_quarantine);
  }
  if (after.non_sellable < 0 && after.non_sellable < at_location.non_sellable) {
    decision.anomalies |= bit(Anomaly::negative_non_sellable);
  }
  (void)at_to_location;  // in_transit at the destination only grows
  return decision;
}

int64_t on_hand_change(const EventDecision& decision) {
  int64_t change = 0;
  for (const BucketDelta& delta : decision.deltas) {
    if (delta.target == Target::location && delta.bucket == Bucket::on_hand) change += delta.delta;
  }
  return change;
}

bool is_loss_type(EventType type) {
  return type == EventType::shrink || type == EventType::damage || type == EventType::adjustment ||
         type == EventType::status_change;
}

void apply_event(const Event& event, int64_t source_priority, const EventDecision& decision,
                 Position& at_location, Position* at_to_location) {
  const bool changes_location = decision.deltas.touches(Target::location) || decision.sets_count ||
                                decision.status == EventStatus::applied;
  const bool changes_to_location = decision.deltas.touches(Target::to_location);
  STOCKD_ASSERT(!changes_to_location || at_to_location != nullptr);

  const int64_t allocated_before = at_location.allocated;
  for (const BucketDelta& delta : decision.deltas) {
    Position& position = delta.target == Target::location ? at_location : *at_to_location;
    position.bucket(delta.bucket) += delta.delta;
  }
  // Expectation buckets are consumed, never driven negative by a fact.
  STOCKD_ASSERT(at_location.allocated >= 0 || at_location.allocated >= allocated_before);

  if (decision.sets_count) {
    STOCKD_ASSERT(event.type == EventType::count);
    STOCKD_ASSERT(at_location.on_hand == event.quantity);
    at_location.last_set = LastSet{event.source, source_priority, decision.occurred_at};
    at_location.last_count_at = std::max(at_location.last_count_at, decision.occurred_at);
  }
  // Sales velocity: what left through a sale or a shipment, when it happened (a
  // superseded sale still happened; only its on_hand part was already counted).
  if (event.type == EventType::sale || event.type == EventType::shipment) {
    record_sale(at_location, event.quantity, decision.occurred_at);
    observe_demand(at_location.demand, event.quantity, decision.occurred_at);
  } else if (event.type == EventType::return_ && decision.status != EventStatus::rejected) {
    observe_demand(at_location.demand, -event.quantity, decision.occurred_at);
  }
  if (const int64_t lost = -on_hand_change(decision); lost > 0 && is_loss_type(event.type)) {
    observe_loss(at_location.demand, lost);
  }
  if (changes_location) {
    at_location.version += 1;
    at_location.last_event_at = std::max(at_location.last_event_at, decision.occurred_at);
  }
  if (changes_to_location) {
    at_to_location->version += 1;
    at_to_location->last_event_at = std::max(at_to_location->last_event_at, decision.occurred_at);
  }
}

}  // namespace stockd
