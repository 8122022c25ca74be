#include "core/order.hpp"

#include <bit>
#include <cstring>

#include "base/bytes.hpp"

namespace stockd {
namespace {

constexpr uint8_t kOrderFormat = 1;
constexpr uint32_t kOrderItemsMax = 10'000;

void put_time(ByteWriter& out, Timestamp at) { out.i64(micros_of(at)); }
Timestamp get_time(ByteReader& in) { return timestamp_from_micros(in.i64()); }
void put_double(ByteWriter& out, double value) { out.u64(std::bit_cast<uint64_t>(value)); }
double get_double(ByteReader& in) { return std::bit_cast<double>(in.u64()); }

}  // namespace

std::string_view order_state_name(const Order& order, int64_t open_units, int64_t shipped_units) {
  if (micros_of(order.delivered_at) > 0) return "delivered";
  if (open_units > 0) return shipped_units > 0 ? "partially_shipped" : "allocated";
  return shipped_units > 0 ? "shipped" : "cancelled";
}

std::string order_key(std::string_view order_id) {
  return std::string(kOrderKeyPrefix) + std::string(order_id);
}

std::string allocation_key(std::string_view order_id, std::string_view sku,
                           std::string_view location) {
  std::string key(kAllocationKeyPrefix);
  key.append(order_id).push_back('\0');
  key.append(sku).push_back('\0');
  key.append(location);
  return key;
}

std::string encode_order(const Order& order) {
  ByteWriter out;
  out.u8(kOrderFormat);
  out.str(order.id);
  out.str(order.channel);
  put_time(out, order.created_at);
  put_double(out, order.ship_to_lat);
  put_double(out, order.ship_to_lon);
  out.u8(order.allow_partial ? 1 : 0);
  out.u32(order.max_shipments);
  out.u32(static_cast<uint32_t>(order.lines.size()));
  for (const OrderLine& line : order.lines) {
    out.str(line.sku);
    out.i64(line.quantity);
    out.str(line.reservation_id);
  }
  out.u32(static_cast<uint32_t>(order.allocations.size()));
  for (const OrderAllocation& allocation : order.allocations) {
    out.u32(allocation.line);
    out.str(allocation.sku);
    out.str(allocation.location);
    out.i64(allocation.quantity);
    out.str(allocation.reservation_id);
  }
  out.u32(static_cast<uint32_t>(order.shipments.size()));
  for (const OrderShipment& shipment : order.shipments) {
    out.str(shipment.location);
    out.i64(shipment.cost_cents);
    out.i64(shipment.distance_m);
    put_time(out, shipment.promise_from);
    put_time(out, shipment.promise_to);
  }
  out.i64(order.cost_cents);
  put_time(out, order.promise_from);
  put_time(out, order.promise_to);
  out.u8(order.optimal ? 1 : 0);
  out.str(order.explanation);
  out.u32(order.interventions);
  out.str(order.cancel_reason);
  put_time(out, order.cancelled_at);
  put_time(out, order.delivered_at);
  out.raw(std::string_view(reinterpret_cast<const char*>(order.fingerprint.data()),
                           order.fingerprint.size()));
  return out.take();
}

std::optional<Order> decode_order(std::string_view bytes) {
  ByteReader in(bytes);
  if (in.u8() != kOrderFormat) return std::nullopt;
  Order order;
  order.id = in.str();
  order.channel = in.str();
  order.created_at = get_time(in);
  order.ship_to_lat = get_double(in);
  order.ship_to_lon = get_double(in);
  order.allow_partial = in.u8() == 1;
  order.max_shipments = in.u32();
  const uint32_t lines = in.u32();
  if (lines > kOrderItemsMax) return std::nullopt;
  for (uint32_t i = 0; i < lines && in.ok(); ++i) {
    OrderLine line;
    line.sku = in.str();
    line.quantity = in.i64();
    line.reservation_id = in.str();
    order.lines.push_back(std::move(line));
  }
  const uint32_t allocations = in.u32();
  if (allocations > kOrderItemsMax) return std::nullopt;
  for (uint32_t i = 0; i < allocations && in.ok(); ++i) {
    OrderAllocation allocation;
    allocation.line = in.u32();
    allocation.sku = in.str();
    allocation.location = in.str();
    allocation.quantity = in.i64();
    allocation.reservation_id = in.str();
    if (allocation.line >= order.lines.size()) return std::nullopt;
    order.allocations.push_back(std::move(allocation));
  }
  const uint32_t shipments = in.u32();
  if (shipments > kOrderItemsMax) return std::nullopt;
  for (uint32_t i = 0; i < shipments && in.ok(); ++i) {
    OrderShipment shipment;
    shipment.location = in.str();
    shipment.cost_cents = in.i64();
    shipment.distance_m = in.i64();
    shipment.promise_from = get_time(in);
    shipment.promise_to = get_time(in);
    order.shipments.push_back(std::move(shipment));
  }
  order.cost_cents = in.i64();
  order.promise_from = get_time(in);
  order.promise_to = get_time(in);
  order.optimal = in.u8() == 1;
  order.explanation = in.str();
  order.interventions = in.u32();
  order.cancel_reason = in.str();
  order.cancelled_at = get_time(in);
  order.delivered_at = get_time(in);
  const std::string_view digest = in.raw(order.fingerprint.size());
  if (!in.ok() || !in.at_end()) return std::nullopt;
  std::memcpy(order.fingerprint.data(), digest.data(), digest.size());
  return order;
}

std::string encode_allocation_progress(const AllocationProgress& progress) {
  ByteWriter out;
  out.u8(1);
  out.str(progress.order_id);
  out.str(progress.sku);
  out.str(progress.location);
  out.i64(progress.quantity);
  out.i64(progress.shipped);
  out.i64(progress.cancelled);
  return out.take();
}

std::optional<AllocationProgress> decode_allocation_progress(std::string_view bytes) {
  ByteReader in(bytes);
  if (in.u8() != 1) return std::nullopt;
  AllocationProgress progress;
  progress.order_id = in.str();
  progress.sku = in.str();
  progress.location = in.str();
  progress.quantity = in.i64();
  progress.shipped = in.i64();
  progress.cancelled = in.i64();
  if (!in.ok() || !in.at_end() || progress.open() < 0) return std::nullopt;
  return progress;
}

}  // namespace stockd
