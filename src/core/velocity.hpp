// A position's sales velocity: an exponentially weighted rate of units sold (sales and
// shipments), r(t) = Σ q_i · e^{-(t - t_i)/τ} / τ with τ = 7 days. Kept in the position
// as integer milli-units per day with the instant it was last brought up to date, so a
// stored position is exact and deterministic. Pure functions; `now` is passed in.
#pragma once

#include <cstdint>

#include "base/time.hpp"
#include "core/position.hpp"

namespace stockd {

inline constexpr double kVelocityTauDays = 7.0;

// Units per day as of `now` (decayed since the last update; never negative).
double sales_rate_per_day(const Position& position, Timestamp now);

// Folds a sale of `quantity` units at `at` into the rate. A sale older than the last
// update adds its already-decayed contribution without moving the update instant.
void record_sale(Position& position, int64_t quantity, Timestamp at);

// Expected units sold in `seconds` at the rate as of `now`, rounded half up.
int64_t expected_sales(const Position& position, int64_t seconds, Timestamp now);

}  // namespace stockd
