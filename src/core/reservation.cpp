#include "core/reservation.hpp"

#include "base/assert.hpp"
#include "base/limits.hpp"

namespace stockd {

std::string_view reservation_state_name(ReservationState state) {
  switch (state) {
    case ReservationState::active:
      return "active";
    case ReservationState::committed:
      return "committed";
    case ReservationState::released:
      return "released";
    case ReservationState::expired:
      return "expired";
  }
  STOCKD_UNREACHABLE();
}

std::string_view reserve_status_name(ReserveStatus status) {
  switch (status) {
    case ReserveStatus::ok:
      return "ok";
    case ReserveStatus::invalid_sku:
      return "invalid_sku";
    case ReserveStatus::unknown_location:
      return "unknown_location";
    case ReserveStatus::quantity_out_of_range:
      return "quantity_out_of_range";
    case ReserveStatus::ttl_out_of_range:
      return "ttl_out_of_range";
    case ReserveStatus::insufficient_stock:
      return "insufficient_stock";
    case ReserveStatus::reservation_not_found:
      return "reservation_not_found";
    case ReserveStatus::reservation_not_active:
      return "reservation_not_active";
    case ReserveStatus::invalid_order_id:
      return "invalid_order_id";
    case ReserveStatus::overloaded:
      return "overloaded";
    case ReserveStatus::unknown_channel:
      return "unknown_channel";
    case ReserveStatus::reservation_exists:
      return "reservation_exists";
    case ReserveStatus::idempotency_conflict:
      return "idempotency_conflict";
    case ReserveStatus::idempotency_in_flight:
      return "idempotency_in_flight";
  }
  STOCKD_UNREACHABLE();
}

ReserveStatus decide_reserve(const Position& position, int64_t quantity, int64_t sellable_units) {
  if (quantity < 1 || quantity > limits::quantity_max) return ReserveStatus::quantity_out_of_range;
  if (quantity > available(position)) return ReserveStatus::insufficient_stock;
  if (quantity > sellable_units) return ReserveStatus::insufficient_stock;
  return ReserveStatus::ok;
}

void apply_reserve(Position& position, const Reservation& reservation) {
  const int64_t available_before = available(position);
  STOCKD_ASSERT(reservation.state == ReservationState::active);
  STOCKD_ASSERT(reservation.quantity >= 1);
  STOCKD_ASSERT(reservation.quantity <= available_before);  // decide_reserve checked it
  position.reserved += reservation.quantity;
  position.version += 1;
  STOCKD_ASSERT(available(position) == available_before - reservation.quantity);
  STOCKD_ASSERT(available(position) >= 0);
}

ReserveStatus decide_end(const Reservation& reservation, Timestamp now) {
  if (reservation.state != ReservationState::active) return ReserveStatus::reservation_not_active;
  if (now >= reservation.expires_at) return ReserveStatus::reservation_not_active;  // expiry due
  return ReserveStatus::ok;
}

void apply_end(Position& position, Reservation& reservation, ReservationState to, Timestamp now,
               std::string order_id) {
  STOCKD_ASSERT(reservation.state == ReservationState::active);
  STOCKD_ASSERT(to != ReservationState::active);
  STOCKD_ASSERT(position.reserved >= reservation.quantity);  // holds are only ever added here
  const int64_t promised_before = position.reserved + position.allocated;
  position.reserved -= reservation.quantity;
  if (to == ReservationState::committed) {
    position.allocated += reservation.quantity;
    STOCKD_ASSERT(position.reserved + position.allocated == promised_before);
  }
  position.version += 1;
  reservation.state = to;
  reservation.ended_at = now;
  reservation.order_id = std::move(order_id);
}

}  // namespace stockd
