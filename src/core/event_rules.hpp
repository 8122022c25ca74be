// The rules for facts (DESIGN §1, §3): validation with one precise reason, a pure
// decision of what an event does to the positions it touches, and the application of
// that decision. Decide purely, then apply: decide_event reads positions and returns
// a value; apply_event changes positions and cannot fail.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "base/time.hpp"
#include "core/catalog.hpp"
#include "core/event.hpp"
#include "core/position.hpp"

namespace stockd {

struct RuleOptions {
  Duration clock_drift_tolerance = std::chrono::minutes{5};
};

struct EventCheck {
  EventError error = EventError::none;
  std::string_view field;  // the offending JSON field, "" for the whole event
  bool ok() const { return error == EventError::none; }
};

// Checks an event against the schema and the catalog, in the documented order.
EventCheck validate_event(const Event& event, const Catalog& catalog);

// Which of the two positions an event can touch a delta lands on.
enum class Target : uint8_t { location = 0, to_location = 1 };

struct BucketDelta {
  Target target = Target::location;
  Bucket bucket = Bucket::on_hand;
  int64_t delta = 0;
  friend bool operator==(const BucketDelta&, const BucketDelta&) = default;
};

// At most three bucket changes per event (shipment: allocated and on_hand; transfer_out:
// two positions); kept inline so deciding allocates nothing.
struct BucketDeltas {
  std::array<BucketDelta, 3> items{};
  uint8_t size = 0;
  void push(BucketDelta delta);
  const BucketDelta* begin() const { return items.data(); }
  const BucketDelta* end() const { return items.data() + size; }
  bool touches(Target target) const;
};

struct EventDecision {
  EventStatus status = EventStatus::applied;  // applied or superseded
  Timestamp occurred_at{};                    // after the clock-drift clamp
  BucketDeltas deltas;                        // the effective changes, after the superseded rules
  uint32_t anomalies = 0;                     // Anomaly bits
  bool sets_count = false;                    // an applied count: last_set and last_count_at move
};

// Decides what a valid event does. `at_location` and `at_to_location` are the current
// positions (default-constructed when the engine has none yet); `at_to_location` is
// only read for transfer_out. `received_at` is the server's "now".
// `carried_here` is false when the location feeds a channel but has never held the SKU:
// a resellable return there goes to quarantine (Anomaly::return_quarantined).
EventDecision decide_event(const Event& event, int64_t source_priority, const Position& at_location,
                           const Position& at_to_location, Timestamp received_at,
                           const RuleOptions& options, bool carried_here = true);

// The net on_hand change a decision makes at the event's location.
int64_t on_hand_change(const EventDecision& decision);
// Shrink, damage, adjustment and status_change: the facts whose on_hand drops are losses.
bool is_loss_type(EventType type);

// Applies a decision. `at_to_location` may be null unless the decision touches it.
// Bumps the version of every position the event changed (a count that finds no
// variance still changes last_count_at, so it still bumps).
void apply_event(const Event& event, int64_t source_priority, const EventDecision& decision,
                 Position& at_location, Position* at_to_location);

}  // namespace stockd
