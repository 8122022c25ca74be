#include "core/reservation.hpp"

#include <gtest/gtest.h>

#include "core/test_support.hpp"

namespace stockd {
namespace {

Reservation hold(int64_t quantity, const char* expires_at = "2026-11-27T10:15:00Z") {
  Reservation r;
  r.id = "r1";
  r.sku = "A";
  r.location = "W1";
  r.quantity = quantity;
  r.created_at = testing::at("2026-11-27T10:00:00Z");
  r.expires_at = testing::at(expires_at);
  return r;
}

TEST(Reserve, RefusesMoreThanAvailable) {
  Position p;
  p.on_hand = 10;
  p.allocated = 3;
  p.reserved = 2;
  EXPECT_EQ(decide_reserve(p, 5, 5), ReserveStatus::ok);
  EXPECT_EQ(decide_reserve(p, 6, 6), ReserveStatus::insufficient_stock);
  EXPECT_EQ(decide_reserve(p, 0, 5), ReserveStatus::quantity_out_of_range);
  EXPECT_EQ(decide_reserve(p, 1'000'000'001, 5), ReserveStatus::quantity_out_of_range);
}

TEST(Reserve, RefusesWhatTheChannelMayNotSell) {
  Position p;
  p.on_hand = 10;
  EXPECT_EQ(decide_reserve(p, 8, 8), ReserveStatus::ok);
  EXPECT_EQ(decide_reserve(p, 9, 8), ReserveStatus::insufficient_stock);
}

TEST(Reserve, RefusesAgainstNegativeOnHand) {
  Position p;
  p.on_hand = -2;
  EXPECT_EQ(decide_reserve(p, 1, 0), ReserveStatus::insufficient_stock);
}

TEST(Reserve, HoldLowersAvailableAndBumpsVersion) {
  Position p;
  p.on_hand = 10;
  apply_reserve(p, hold(7));
  EXPECT_EQ(p.reserved, 7);
  EXPECT_EQ(available(p), 3);
  EXPECT_EQ(p.version, 1u);
}

TEST(ReserveEnd, CommitMovesReservedToAllocated) {
  Position p;
  p.on_hand = 10;
  Reservation r = hold(4);
  apply_reserve(p, r);
  ASSERT_EQ(decide_end(r, testing::at("2026-11-27T10:10:00Z")), ReserveStatus::ok);
  apply_end(p, r, ReservationState::committed, testing::at("2026-11-27T10:10:00Z"), "o-1");
  EXPECT_EQ(p.reserved, 0);
  EXPECT_EQ(p.allocated, 4);
  EXPECT_EQ(available(p), 6);
  EXPECT_EQ(r.state, ReservationState::committed);
  EXPECT_EQ(r.order_id, "o-1");
}

TEST(ReserveEnd, ReleaseAndExpiryReturnUnits) {
  for (const ReservationState to : {ReservationState::released, ReservationState::expired}) {
    Position p;
    p.on_hand = 10;
    Reservation r = hold(4);
    apply_reserve(p, r);
    apply_end(p, r, to, testing::at("2026-11-27T10:10:00Z"), "");
    EXPECT_EQ(p.reserved, 0);
    EXPECT_EQ(p.allocated, 0);
    EXPECT_EQ(available(p), 10);
    EXPECT_EQ(r.state, to);
  }
}

TEST(ReserveEnd, AHoldEndsOnlyOnceAndNotAfterItsExpiry) {
  Reservation r = hold(1);
  EXPECT_EQ(decide_end(r, testing::at("2026-11-27T10:15:00Z")),
            ReserveStatus::reservation_not_active);
  r.state = ReservationState::released;
  EXPECT_EQ(decide_end(r, testing::at("2026-11-27T10:01:00Z")),
            ReserveStatus::reservation_not_active);
}

}  // namespace
}  // namespace stockd
