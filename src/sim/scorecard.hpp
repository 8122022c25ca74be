// What one strategy did to the simulated day: the figures operations leaders compare.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/scenario.hpp"

namespace stockd::sim {

// Exact percentiles of a list of lags (seconds).
struct LagFigures {
  int64_t count = 0;
  double p50_seconds = 0;
  double p95_seconds = 0;
  double within_5_minutes = 0;  // share, 0..1
};
LagFigures lag_figures(std::vector<int64_t> lags_seconds);

struct HourFigures {
  int64_t oversold_orders = 0;  // accepted orders canceled for want of stock (by order hour)
  int64_t lost_sales_units = 0;
  int64_t variance_units = 0;  // Σ |stockd on-hand − shelf| at the end of the hour
};

struct ChannelFigures {
  int64_t orders_accepted = 0;
  int64_t orders_canceled = 0;
  int64_t lost_sales_units = 0;
};

struct Scorecard {
  Strategy strategy = Strategy::realtime;
  // Online orders: every accepted order ends fulfilled, canceled or backordered.
  int64_t orders_accepted = 0;
  int64_t orders_fulfilled = 0;
  int64_t orders_backordered = 0;
  int64_t canceled_oversold = 0;            // stockd had nothing to allocate
  int64_t canceled_not_found = 0;           // allocated, but the shelf was short at the pick
  int64_t canceled_pickup_unavailable = 0;  // a pickup the store could not hand over
  int64_t oversold_units = 0;               // units of the canceled orders
  int64_t orders_canceled() const {
    return canceled_oversold + canceled_not_found + canceled_pickup_unavailable;
  }
  int64_t pickups_accepted = 0;
  int64_t pickups_ready = 0;
  // Shoppers turned away while the shelf (or the pool) had the units: over-buffering or
  // a stale channel.
  int64_t lost_sales_orders = 0;
  int64_t lost_sales_units = 0;
  int64_t no_stock_orders = 0;  // turned away with nothing anywhere: not a sync effect
  int64_t walk_in_units_sold = 0;
  int64_t walk_in_units_missed = 0;  // shelf empty
  // Facts: occurred → applied by stockd; channel updates: stockd recorded the first change
  // the channel had not seen → shown to shoppers.
  LagFigures fact_lag;
  LagFigures channel_lag;
  int64_t channel_updates = 0;
  // Σ |stockd on-hand − shelf| over positions at the end of the day, and how many
  // positions differ.
  int64_t variance_units = 0;
  int64_t variance_positions = 0;
  int64_t positions = 0;
  std::vector<HourFigures> hours;
  std::vector<ChannelFigures> channels;  // in the scenario's channel order
  // Work done by the engine.
  int64_t engine_facts = 0;
  int64_t engine_reservations = 0;
  int64_t engine_commands = 0;

  double cancellation_rate() const;
  double promise_accuracy() const;  // fulfilled ÷ (fulfilled + canceled)
  double pickup_promise_accuracy() const;
};

}  // namespace stockd::sim
