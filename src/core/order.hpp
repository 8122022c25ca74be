// Orders: what an order asked for, where it was allocated, and what became of it.
//
// An order's allocation at a node is a hold committed to the order at once (so the
// ledger shows reservation_created + reservation_committed, and `allocated` rises).
// Shipment events (`reference` = the order id) and cancellations close it; the progress
// of each (sku, location) of an order is an AllocationProgress record written by the
// shard that owns the SKU, in the same durable write as the event that changed it.
// Pure data and codecs; the engine does the work.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/sha256.hpp"
#include "base/time.hpp"

namespace stockd {

// The source stockd records its own facts under (order cancellations it carries out).
inline constexpr std::string_view kInternalSource = "stockd";

struct OrderLine {
  std::string sku;
  int64_t quantity = 0;
  std::string reservation_id;  // "" = allocate directly
};

struct OrderAllocation {
  uint32_t line = 0;  // index into the order's lines
  std::string sku;
  std::string location;
  int64_t quantity = 0;
  std::string reservation_id;  // the hold committed to the order
};

struct OrderShipment {
  std::string location;
  int64_t cost_cents = 0;
  int64_t distance_m = 0;
  Timestamp promise_from{};
  Timestamp promise_to{};
};

struct Order {
  std::string id;
  std::string channel;
  Timestamp created_at{};
  double ship_to_lat = 0;
  double ship_to_lon = 0;
  bool allow_partial = false;
  uint32_t max_shipments = 0;  // 0 = no limit
  std::vector<OrderLine> lines;
  std::vector<OrderAllocation> allocations;
  std::vector<OrderShipment> shipments;
  int64_t cost_cents = 0;
  Timestamp promise_from{};  // the whole order: the latest shipment's window
  Timestamp promise_to{};
  bool optimal = true;      // false when routing ran out of search budget
  std::string explanation;  // why this plan, in one sentence
  // Manual interventions: re-routes. An order shipped with none counts toward
  // allocation accuracy.
  uint32_t interventions = 0;
  std::string cancel_reason;  // set when the order was cancelled (whole or rest)
  Timestamp cancelled_at{};
  Timestamp delivered_at{};
  Sha256Digest fingerprint{};  // of the request, for idempotent repeats
  friend bool operator==(const Order&, const Order&) = default;
};

// What happened to one (order, sku, location) allocation so far.
struct AllocationProgress {
  std::string order_id;
  std::string sku;
  std::string location;
  int64_t quantity = 0;
  int64_t shipped = 0;
  int64_t cancelled = 0;
  int64_t open() const { return quantity - shipped - cancelled; }
  friend bool operator==(const AllocationProgress&, const AllocationProgress&) = default;
};

// Derived, not stored: allocated | partially_shipped | shipped | delivered | cancelled.
std::string_view order_state_name(const Order& order, int64_t open_units, int64_t shipped_units);

inline constexpr std::string_view kOrderKeyPrefix = "order/";
inline constexpr std::string_view kAllocationKeyPrefix = "allocation/";
std::string order_key(std::string_view order_id);
// order \0 sku \0 location: ids never contain NUL.
std::string allocation_key(std::string_view order_id, std::string_view sku,
                           std::string_view location);

std::string encode_order(const Order& order);
std::optional<Order> decode_order(std::string_view bytes);
std::string encode_allocation_progress(const AllocationProgress& progress);
std::optional<AllocationProgress> decode_allocation_progress(std::string_view bytes);

}  // namespace stockd
