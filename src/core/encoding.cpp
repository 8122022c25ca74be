#include "core/encoding.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "base/bytes.hpp"

namespace stockd {
namespace {

constexpr uint8_t kFormat = 1;
constexpr uint32_t kChannelLocationsMax = 100'000;

void put_time(ByteWriter& out, Timestamp at) { out.i64(micros_of(at)); }
Timestamp get_time(ByteReader& in) { return timestamp_from_micros(in.i64()); }

void put_double(ByteWriter& out, double value) { out.u64(std::bit_cast<uint64_t>(value)); }
double get_double(ByteReader& in) { return std::bit_cast<double>(in.u64()); }

template <typename T>
std::optional<T> finish(const ByteReader& in, T value) {
  if (!in.ok() || !in.at_end()) return std::nullopt;
  return value;
}

}  // namespace

constexpr uint8_t kPositionFormat = 3;  // 2 added the sales velocity, 3 the demand model

std::string encode_position(const Position& position) {
  ByteWriter out;
  out.u8(kPositionFormat);
  for (const Bucket bucket : kAllBuckets) out.i64(position.bucket(bucket));
  out.u64(position.version);
  put_time(out, position.last_event_at);
  put_time(out, position.last_count_at);
  out.u8(position.last_set ? 1 : 0);
  if (position.last_set) {
    out.str(position.last_set->source);
    out.i64(position.last_set->priority);
    put_time(out, position.last_set->as_of);
  }
  out.i64(position.sales_rate_milli_per_day);
  put_time(out, position.sales_rate_at);
  const DemandModel& demand = position.demand;
  const bool has_demand = has_history(demand);
  out.u8(has_demand ? 1 : 0);
  if (has_demand) {
    out.i64(demand.open_day);
    out.i64(demand.open_day_units);
    out.i64(demand.days_closed);
    out.i64(demand.demand_days);
    out.i64(demand.days_since_demand);
    for (const double value : {demand.level, demand.size, demand.size_sq, demand.interval,
                               demand.error_sq_flat, demand.error_sq_weekly, demand.error_sq_sba}) {
      put_double(out, value);
    }
    for (const double index : demand.season) put_double(out, index);
    out.i64(demand.losses);
    put_double(out, demand.loss_size);
  }
  return out.take();
}

std::optional<Position> decode_position(std::string_view bytes) {
  ByteReader in(bytes);
  const uint8_t format = in.u8();
  if (format < 1 || format > kPositionFormat) return std::nullopt;
  Position position;
  for (const Bucket bucket : kAllBuckets) position.bucket(bucket) = in.i64();
  position.version = in.u64();
  position.last_event_at = get_time(in);
  position.last_count_at = get_time(in);
  const uint8_t has_last_set = in.u8();
  if (has_last_set > 1) return std::nullopt;
  if (has_last_set == 1) {
    LastSet last;
    last.source = in.str();
    last.priority = in.i64();
    last.as_of = get_time(in);
    position.last_set = std::move(last);
  }
  if (format >= 2) {
    position.sales_rate_milli_per_day = in.i64();
    position.sales_rate_at = get_time(in);
  }
  if (format >= 3) {
    const uint8_t has_demand = in.u8();
    if (has_demand > 1) return std::nullopt;
    if (has_demand == 1) {
      DemandModel& demand = position.demand;
      const auto get_day_count = [&in] {
        const int64_t value = in.i64();
        return value >= 0 && value <= INT32_MAX ? static_cast<int32_t>(value) : -1;
      };
      demand.open_day = get_day_count();
      demand.open_day_units = in.i64();
      demand.days_closed = get_day_count();
      demand.demand_days = get_day_count();
      demand.days_since_demand = get_day_count();
      for (double* value : {&demand.level, &demand.size, &demand.size_sq, &demand.interval,
                            &demand.error_sq_flat, &demand.error_sq_weekly, &demand.error_sq_sba}) {
        *value = get_double(in);
      }
      for (double& index : demand.season) index = get_double(in);
      demand.losses = get_day_count();
      demand.loss_size = get_double(in);
      // Stored doubles are finite and not negative (found by fuzz_stored: NaN decoded).
      const auto sane = [](double value) { return std::isfinite(value) && value >= 0; };
      for (const double value :
           {demand.level, demand.size, demand.size_sq, demand.interval, demand.error_sq_flat,
            demand.error_sq_weekly, demand.error_sq_sba, demand.loss_size}) {
        if (!sane(value)) return std::nullopt;
      }
      for (const double index : demand.season) {
        if (!sane(index)) return std::nullopt;
      }
      // A model with no history is written as absent: anything else is not ours.
      if (!has_history(demand)) return std::nullopt;
      if (demand.open_day < 0 || demand.losses < 0 || demand.days_closed < 0 ||
          demand.demand_days < 0 || demand.days_since_demand < 0) {
        return std::nullopt;
      }
    }
  }
  return finish(in, std::move(position));
}

constexpr uint8_t kReservationFormat = 2;  // 2 added backorder promises

std::string encode_reservation(const Reservation& reservation) {
  ByteWriter out;
  out.u8(kReservationFormat);
  out.str(reservation.id);
  out.str(reservation.sku);
  out.str(reservation.location);
  out.str(reservation.channel);
  out.i64(reservation.quantity);
  put_time(out, reservation.created_at);
  put_time(out, reservation.expires_at);
  out.u8(static_cast<uint8_t>(reservation.state));
  out.str(reservation.order_id);
  put_time(out, reservation.ended_at);
  out.u8(reservation.backorder ? 1 : 0);
  out.str(reservation.purchase_order_id);
  put_time(out, reservation.promise_from);
  put_time(out, reservation.promise_to);
  out.u8(reservation.at_risk ? 1 : 0);
  return out.take();
}

std::optional<Reservation> decode_reservation(std::string_view bytes) {
  ByteReader in(bytes);
  const uint8_t format = in.u8();
  if (format != 1 && format != kReservationFormat) return std::nullopt;
  Reservation reservation;
  reservation.id = in.str();
  reservation.sku = in.str();
  reservation.location = in.str();
  reservation.channel = in.str();
  reservation.quantity = in.i64();
  reservation.created_at = get_time(in);
  reservation.expires_at = get_time(in);
  const uint8_t state = in.u8();
  if (state < 1 || state > 4) return std::nullopt;
  reservation.state = static_cast<ReservationState>(state);
  reservation.order_id = in.str();
  reservation.ended_at = get_time(in);
  if (format >= 2) {
    reservation.backorder = in.u8() == 1;
    reservation.purchase_order_id = in.str();
    reservation.promise_from = get_time(in);
    reservation.promise_to = get_time(in);
    reservation.at_risk = in.u8() == 1;
  }
  return finish(in, std::move(reservation));
}

std::string encode_location(const Location& location) {
  ByteWriter out;
  out.u8(kFormat);
  out.str(location.id);
  out.u8(static_cast<uint8_t>(location.type));
  out.str(location.name);
  put_double(out, location.lat);
  put_double(out, location.lon);
  out.i64(location.priority);
  out.i64(location.ship_cost_cents);
  out.i64(location.protected_min);
  out.i64(location.count_sla_hours);
  out.i64(location.ship_radius_km);
  out.i64(location.handling_days);
  out.u8(location.accepts_damaged ? 1 : 0);
  return out.take();
}

std::optional<Location> decode_location(std::string_view bytes) {
  ByteReader in(bytes);
  if (in.u8() != kFormat) return std::nullopt;
  Location location;
  location.id = in.str();
  const uint8_t type = in.u8();
  if (type < 1 || type > 4) return std::nullopt;
  location.type = static_cast<LocationType>(type);
  location.name = in.str();
  location.lat = get_double(in);
  location.lon = get_double(in);
  location.priority = in.i64();
  location.ship_cost_cents = in.i64();
  location.protected_min = in.i64();
  location.count_sla_hours = in.i64();
  if (!in.at_end()) {  // written before order routing: the defaults
    location.ship_radius_km = in.i64();
    location.handling_days = in.i64();
    const uint8_t accepts_damaged = in.u8();
    if (accepts_damaged > 1) return std::nullopt;
    location.accepts_damaged = accepts_damaged == 1;
  }
  return finish(in, std::move(location));
}

std::string encode_bundle(const Bundle& bundle) {
  ByteWriter out;
  out.u8(kFormat);
  out.str(bundle.id);
  out.u32(static_cast<uint32_t>(bundle.components.size()));
  for (const BundleComponent& component : bundle.components) {
    out.str(component.sku);
    out.i64(component.quantity);
  }
  return out.take();
}

std::optional<Bundle> decode_bundle(std::string_view bytes) {
  ByteReader in(bytes);
  if (in.u8() != kFormat) return std::nullopt;
  Bundle bundle;
  bundle.id = in.str();
  const uint32_t count = in.u32();
  if (count > 1000) return std::nullopt;
  for (uint32_t i = 0; i < count && in.ok(); ++i) {
    BundleComponent component;
    component.sku = in.str();
    component.quantity = in.i64();
    bundle.components.push_back(std::move(component));
  }
  return finish(in, std::move(bundle));
}

std::string encode_promotion(const Promotion& promotion) {
  ByteWriter out;
  out.u8(kFormat);
  out.str(promotion.id);
  out.str(promotion.sku);
  out.str(promotion.channel);
  put_time(out, promotion.from);
  put_time(out, promotion.to);
  put_double(out, promotion.expected_uplift);
  return out.take();
}

std::optional<Promotion> decode_promotion(std::string_view bytes) {
  ByteReader in(bytes);
  if (in.u8() != kFormat) return std::nullopt;
  Promotion promotion;
  promotion.id = in.str();
  promotion.sku = in.str();
  promotion.channel = in.str();
  promotion.from = get_time(in);
  promotion.to = get_time(in);
  promotion.expected_uplift = get_double(in);
  return finish(in, std::move(promotion));
}

constexpr uint8_t kSourceFormat = 2;  // 2 added inbound webhook secrets

std::string encode_source(const Source& source) {
  ByteWriter out;
  out.u8(kSourceFormat);
  out.str(source.id);
  out.i64(source.priority);
  out.u32(static_cast<uint32_t>(source.webhook_secrets.size()));
  for (const std::string& secret : source.webhook_secrets) out.str(secret);
  out.u8(source.require_signature ? 1 : 0);
  return out.take();
}

std::optional<Source> decode_source(std::string_view bytes) {
  ByteReader in(bytes);
  const uint8_t format = in.u8();
  if (format < 1 || format > kSourceFormat) return std::nullopt;
  Source source;
  source.id = in.str();
  source.priority = in.i64();
  if (format >= 2) {
    const uint32_t count = in.u32();
    if (count > 64) return std::nullopt;
    for (uint32_t i = 0; i < count && in.ok(); ++i) source.webhook_secrets.push_back(in.str());
    source.require_signature = in.u8() == 1;
  }
  return finish(in, std::move(source));
}

// 2 added reservation quantity limits, 3 per-SKU ones, 4 the degraded buffer
constexpr uint8_t kChannelFormat = 4;

std::string encode_channel(const Channel& channel) {
  ByteWriter out;
  out.u8(kChannelFormat);
  out.str(channel.id);
  out.u32(static_cast<uint32_t>(channel.locations.size()));
  for (const ChannelLocation& member : channel.locations) {
    out.str(member.id);
    out.i64(member.priority);
  }
  out.i64(channel.buffer_units);
  out.i64(channel.buffer_percent);
  out.i64(channel.sync_latency_seconds);
  out.i64(channel.reservation_ttl_seconds);
  out.u8(channel.pickup ? 1 : 0);
  out.u8(channel.backorder ? 1 : 0);
  out.i64(channel.reservation_quantity_min);
  out.i64(channel.reservation_quantity_max);
  out.u32(static_cast<uint32_t>(channel.sku_limits.size()));
  for (const SkuQuantityLimit& limit : channel.sku_limits) {
    out.str(limit.sku);
    out.i64(limit.min);
    out.i64(limit.max);
  }
  out.i64(channel.degraded_buffer_units);
  out.i64(channel.degraded_buffer_percent);
  return out.take();
}

std::optional<Channel> decode_channel(std::string_view bytes) {
  ByteReader in(bytes);
  const uint8_t format = in.u8();
  if (format < 1 || format > kChannelFormat) return std::nullopt;
  Channel channel;
  channel.id = in.str();
  const uint32_t count = in.u32();
  if (count > kChannelLocationsMax) return std::nullopt;
  for (uint32_t i = 0; i < count && in.ok(); ++i) {
    ChannelLocation member;
    member.id = in.str();
    member.priority = in.i64();
    channel.locations.push_back(std::move(member));
  }
  channel.buffer_units = in.i64();
  channel.buffer_percent = in.i64();
  channel.sync_latency_seconds = in.i64();
  channel.reservation_ttl_seconds = in.i64();
  channel.pickup = in.u8() == 1;
  channel.backorder = in.u8() == 1;
  if (format >= 2) {
    channel.reservation_quantity_min = in.i64();
    channel.reservation_quantity_max = in.i64();
  }
  if (format >= 3) {
    const uint32_t limit_count = in.u32();
    if (limit_count > 10'000) return std::nullopt;
    for (uint32_t i = 0; i < limit_count && in.ok(); ++i) {
      SkuQuantityLimit limit;
      limit.sku = in.str();
      limit.min = in.i64();
      limit.max = in.i64();
      channel.sku_limits.push_back(std::move(limit));
    }
  }
  if (format >= 4) {
    channel.degraded_buffer_units = in.i64();
    channel.degraded_buffer_percent = in.i64();
  }
  return finish(in, std::move(channel));
}

std::string canonical_event_bytes(const Event& event) {
  ByteWriter out;
  out.u8(kFormat);
  out.str(event.id);
  out.str(event.source);
  out.u8(static_cast<uint8_t>(event.type));
  out.str(event.sku);
  out.str(event.location);
  out.i64(event.quantity);
  put_time(out, event.occurred_at);
  out.str(event.reason);
  out.str(event.condition);
  out.str(event.reference);
  out.str(event.to_location);
  out.str(event.from_status);
  out.str(event.to_status);
  return out.take();
}

std::optional<Event> decode_canonical_event(std::string_view bytes) {
  ByteReader in(bytes);
  if (in.u8() != kFormat) return std::nullopt;
  Event event;
  event.id = in.str();
  event.source = in.str();
  const uint8_t type = in.u8();
  event.sku = in.str();
  event.location = in.str();
  event.quantity = in.i64();
  event.occurred_at = get_time(in);
  event.reason = in.str();
  event.condition = in.str();
  event.reference = in.str();
  event.to_location = in.str();
  event.from_status = in.str();
  event.to_status = in.str();
  if (type < static_cast<uint8_t>(EventType::sale) ||
      type > static_cast<uint8_t>(EventType::count)) {
    return std::nullopt;
  }
  event.type = static_cast<EventType>(type);
  return finish(in, std::move(event));
}

std::string encode_idempotency_entry(const IdempotencyEntry& entry) {
  ByteWriter out;
  out.u8(kFormat);
  out.raw(as_bytes(entry.payload_hash));
  put_time(out, entry.received_at);
  out.u8(static_cast<uint8_t>(entry.status));
  out.u64(entry.version);
  out.u32(entry.anomalies);
  return out.take();
}

std::string encode_purchase_order(const PurchaseOrder& po) {
  ByteWriter out;
  out.u8(kFormat);
  out.str(po.id);
  out.str(po.vendor);
  out.str(po.sku);
  out.str(po.location);
  out.i64(po.quantity);
  out.i64(po.received);
  out.i64(po.promised);
  put_time(out, po.expected_at);
  put_time(out, po.created_at);
  put_time(out, po.updated_at);
  return out.take();
}

std::optional<PurchaseOrder> decode_purchase_order(std::string_view bytes) {
  ByteReader in(bytes);
  if (in.u8() != kFormat) return std::nullopt;
  PurchaseOrder po;
  po.id = in.str();
  po.vendor = in.str();
  po.sku = in.str();
  po.location = in.str();
  po.quantity = in.i64();
  po.received = in.i64();
  po.promised = in.i64();
  po.expected_at = get_time(in);
  po.created_at = get_time(in);
  po.updated_at = get_time(in);
  return finish(in, std::move(po));
}

constexpr uint8_t kRequestKeyFormat = 2;  // 2 added the position version

std::string encode_request_key_entry(const RequestKeyEntry& entry) {
  ByteWriter out;
  out.u8(kRequestKeyFormat);
  out.raw(as_bytes(entry.fingerprint));
  put_time(out, entry.created_at);
  out.u8(static_cast<uint8_t>(entry.status));
  out.i64(entry.available);
  out.str(encode_reservation(entry.reservation));
  out.u64(entry.version);
  return out.take();
}

std::optional<RequestKeyEntry> decode_request_key_entry(std::string_view bytes) {
  ByteReader in(bytes);
  const uint8_t format = in.u8();
  if (format != 1 && format != kRequestKeyFormat) return std::nullopt;
  RequestKeyEntry entry;
  const std::string_view hash = in.raw(entry.fingerprint.size());
  if (hash.size() == entry.fingerprint.size()) {
    std::memcpy(entry.fingerprint.data(), hash.data(), hash.size());
  }
  entry.created_at = get_time(in);
  const uint8_t status = in.u8();
  if (status > 13) return std::nullopt;
  entry.status = static_cast<ReserveStatus>(status);
  entry.available = in.i64();
  const auto reservation = decode_reservation(in.str());
  if (!reservation) return std::nullopt;
  entry.reservation = *reservation;
  if (format >= 2) entry.version = in.u64();
  return finish(in, std::move(entry));
}

std::optional<IdempotencyEntry> decode_idempotency_entry(std::string_view bytes) {
  ByteReader in(bytes);
  if (in.u8() != kFormat) return std::nullopt;
  IdempotencyEntry entry;
  const std::string_view hash = in.raw(entry.payload_hash.size());
  if (hash.size() == entry.payload_hash.size()) {
    std::memcpy(entry.payload_hash.data(), hash.data(), hash.size());
  }
  entry.received_at = get_time(in);
  const uint8_t status = in.u8();
  if (status < 1 || status > 4) return std::nullopt;
  entry.status = static_cast<EventStatus>(status);
  entry.version = in.u64();
  entry.anomalies = in.u32();
  return finish(in, std::move(entry));
}

}  // namespace stockd
