// Blocking wrappers over the engine's callbacks, for the CLI, tests and benchmarks.
// Never call these from a shard callback.
#pragma once

#include <future>

#include "engine/engine.hpp"

namespace stockd {

inline std::vector<EventResult> apply_events_blocking(Engine& engine, std::vector<Event> events) {
  std::promise<std::vector<EventResult>> promise;
  auto future = promise.get_future();
  engine.submit_events(std::move(events), [&promise](std::vector<EventResult> results) {
    promise.set_value(std::move(results));
  });
  return future.get();
}

inline StockView get_stock_blocking(Engine& engine, std::string sku) {
  std::promise<StockView> promise;
  auto future = promise.get_future();
  engine.get_stock(std::move(sku),
                   [&promise](StockView view) { promise.set_value(std::move(view)); });
  return future.get();
}

inline ReserveResult reserve_blocking(Engine& engine, ReserveRequest request) {
  std::promise<ReserveResult> promise;
  auto future = promise.get_future();
  engine.reserve(std::move(request),
                 [&promise](ReserveResult result) { promise.set_value(std::move(result)); });
  return future.get();
}

inline ReserveResult end_reservation_blocking(Engine& engine, std::string id, ReservationState to,
                                              std::string order_id = "") {
  std::promise<ReserveResult> promise;
  auto future = promise.get_future();
  engine.end_reservation(std::move(id), to, std::move(order_id), [&promise](ReserveResult result) {
    promise.set_value(std::move(result));
  });
  return future.get();
}

inline ReserveResult get_reservation_blocking(Engine& engine, std::string id) {
  std::promise<ReserveResult> promise;
  auto future = promise.get_future();
  engine.get_reservation(
      std::move(id), [&promise](ReserveResult result) { promise.set_value(std::move(result)); });
  return future.get();
}

}  // namespace stockd
