// Reservations are promises (DESIGN §1): a checkout hold on units of one position,
// refused when it would exceed what is available. A hold ends exactly once: it is
// committed to an order (reserved becomes allocated), released, or it expires.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/time.hpp"
#include "core/position.hpp"

namespace stockd {

enum class ReservationState : uint8_t { active = 1, committed = 2, released = 3, expired = 4 };
std::string_view reservation_state_name(ReservationState state);

struct Reservation {
  std::string id;
  std::string sku;
  std::string location;
  std::string channel;  // "" when placed directly on a location
  int64_t quantity = 0;
  Timestamp created_at{};
  Timestamp expires_at{};
  ReservationState state = ReservationState::active;
  std::string order_id;  // set when committed
  Timestamp ended_at{};  // when committed, released or expired
  // A backorder promise holds units of an open purchase order, not of on_hand, inside a
  // window locked when it was made; a PO that slips past it sets at_risk.
  bool backorder = false;
  std::string purchase_order_id;
  Timestamp promise_from{};
  Timestamp promise_to{};
  bool at_risk = false;
  friend bool operator==(const Reservation&, const Reservation&) = default;
};

// Outcomes of reservation commands, checked in this order; names are the wire codes.
enum class ReserveStatus : uint8_t {
  ok = 0,
  invalid_sku = 1,
  unknown_location = 2,
  quantity_out_of_range = 3,
  ttl_out_of_range = 4,
  insufficient_stock = 5,
  reservation_not_found = 6,
  reservation_not_active = 7,  // already committed, released or expired
  invalid_order_id = 8,
  overloaded = 9,
  unknown_channel = 10,
  reservation_exists = 11,     // a reservation with this id exists with another payload
  idempotency_conflict = 12,   // the same request key with another request
  idempotency_in_flight = 13,  // the same request key is being processed right now
};
std::string_view reserve_status_name(ReserveStatus status);

struct ReserveCommand {
  std::string id;
  std::string sku;
  std::string channel;
  int64_t quantity = 0;
  Duration ttl{};
};

// Whether `position` can hold `quantity` more units right now, given that a channel may
// only promise `sellable_units` of it (available after buffers and protected units).
ReserveStatus decide_reserve(const Position& position, int64_t quantity, int64_t sellable_units);

// Places a hold decided by decide_reserve. Cannot fail.
void apply_reserve(Position& position, const Reservation& reservation);

// Ends an active hold. `to` is committed (units move to allocated), released or
// expired (units return to available). Cannot fail: the caller checked the state.
void apply_end(Position& position, Reservation& reservation, ReservationState to, Timestamp now,
               std::string order_id);

// Status for ending `reservation` now; `ok` if it may end.
ReserveStatus decide_end(const Reservation& reservation, Timestamp now);

}  // namespace stockd
