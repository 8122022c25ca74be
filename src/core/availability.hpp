// What a channel may sell from one position (DESIGN §2): available minus the channel's
// buffer, minus the units a store keeps back from ship-from-store, never below zero.
// The same function guards reservations and answers availability queries, so what is
// shown is exactly what can be promised.
#pragma once

#include <cstdint>

#include "core/catalog.hpp"
#include "core/position.hpp"

namespace stockd {

struct SellableRule {
  int64_t buffer_units = 0;
  int64_t buffer_percent = 0;  // 0..100 of available, rounded up
  int64_t protected_units = 0;
};

// The rule for one channel at one location.
SellableRule sellable_rule(const Channel& channel, const Location& location);

// Units of the buffer held back from `available` (0 when nothing is available).
int64_t buffer_units(const SellableRule& rule, int64_t available_units);

// max(0, available − buffer − protected).
int64_t sellable(const Position& position, const SellableRule& rule);

}  // namespace stockd
