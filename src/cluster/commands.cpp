#include "cluster/commands.hpp"

#include <algorithm>
#include <bit>

#include "base/bytes.hpp"
#include "base/limits.hpp"
#include "core/encoding.hpp"

namespace stockd {
namespace {

constexpr uint8_t kCommandFormat = 1;
constexpr uint8_t kReplyFormat = 1;

void write_time(ByteWriter& out, Timestamp at) { out.i64(micros_of(at)); }
Timestamp read_time(ByteReader& in) { return timestamp_from_micros(in.i64()); }

// An event: its canonical payload bytes (core/encoding.hpp), then what is not payload.
void write_event(ByteWriter& out, const Event& event) {
  out.str(canonical_event_bytes(event));
  out.u8(event.if_version ? 1 : 0);
  out.u64(event.if_version.value_or(0));
  out.str(event.principal);
}

bool read_event(ByteReader& in, Event& event) {
  std::optional<Event> payload = decode_canonical_event(in.str());
  const uint8_t has_version = in.u8();
  const uint64_t version = in.u64();
  std::string principal = in.str();
  // Canonical: no version is a zero field, so a decoded command encodes to its bytes.
  if (!in.ok() || !payload || has_version > 1 || (has_version == 0 && version != 0)) return false;
  event = std::move(*payload);
  if (has_version == 1) event.if_version = version;
  event.principal = std::move(principal);
  return true;
}

void write_reserve(ByteWriter& out, const ReserveRequest& request) {
  out.str(request.sku);
  out.str(request.channel);
  out.u32(static_cast<uint32_t>(request.candidates.size()));
  for (const ReserveCandidate& candidate : request.candidates) {
    out.str(candidate.location);
    out.i64(candidate.rule.buffer_units);
    out.i64(candidate.rule.buffer_percent);
    out.i64(candidate.rule.sync_latency_seconds);
    out.i64(candidate.rule.protected_units);
    out.i64(candidate.rule.count_sla_hours);
    out.u64(std::bit_cast<uint64_t>(candidate.rule.demand_factor));
  }
  out.i64(request.quantity);
  out.i64(request.ttl.count());
  out.str(request.request_key);
  out.raw(std::string_view(reinterpret_cast<const char*>(request.request_fingerprint.data()),
                           request.request_fingerprint.size()));
  out.str(request.principal);
  out.u8(request.backorder ? 1 : 0);
  out.u8(request.prefer_safest ? 1 : 0);
}

bool read_reserve(ByteReader& in, ReserveRequest& request) {
  request.sku = in.str();
  request.channel = in.str();
  const uint32_t candidates = in.u32();
  if (!in.ok() || candidates > limits::reservation_candidates_max) return false;
  for (uint32_t i = 0; i < candidates && in.ok(); ++i) {
    ReserveCandidate candidate(in.str());
    candidate.rule.buffer_units = in.i64();
    candidate.rule.buffer_percent = in.i64();
    candidate.rule.sync_latency_seconds = in.i64();
    candidate.rule.protected_units = in.i64();
    candidate.rule.count_sla_hours = in.i64();
    candidate.rule.demand_factor = std::bit_cast<double>(in.u64());
    request.candidates.push_back(std::move(candidate));
  }
  request.quantity = in.i64();
  request.ttl = Duration{in.i64()};
  request.request_key = in.str();
  const std::string_view fingerprint = in.raw(request.request_fingerprint.size());
  if (in.ok()) {
    std::copy(fingerprint.begin(), fingerprint.end(), request.request_fingerprint.begin());
  }
  request.principal = in.str();
  const uint8_t backorder = in.u8();
  const uint8_t prefer_safest = in.u8();
  request.backorder = backorder == 1;
  request.prefer_safest = prefer_safest == 1;
  return in.ok() && backorder <= 1 && prefer_safest <= 1;
}

bool valid_state(uint8_t state) {
  return state >= static_cast<uint8_t>(ReservationState::active) &&
         state <= static_cast<uint8_t>(ReservationState::expired);
}

}  // namespace

std::string_view command_kind_name(CommandKind kind) {
  switch (kind) {
    case CommandKind::events:
      return "events";
    case CommandKind::reserve:
      return "reserve";
    case CommandKind::end_reservation:
      return "end_reservation";
    case CommandKind::tick:
      return "tick";
    case CommandKind::read_stock:
      return "read_stock";
    case CommandKind::read_reservation:
      return "read_reservation";
  }
  return "unknown";
}

std::string encode_command(const ClusterCommand& command) {
  ByteWriter out;
  out.u8(kCommandFormat);
  out.u8(static_cast<uint8_t>(command.kind));
  out.str(command.id);
  out.u32(command.origin);
  write_time(out, command.at);
  switch (command.kind) {
    case CommandKind::events:
      out.u32(static_cast<uint32_t>(command.events.size()));
      for (const Event& event : command.events) write_event(out, event);
      break;
    case CommandKind::reserve:
      write_reserve(out, command.reserve);
      break;
    case CommandKind::end_reservation:
      out.str(command.reservation_id);
      out.u8(static_cast<uint8_t>(command.to));
      out.str(command.order_id);
      out.str(command.principal);
      break;
    case CommandKind::tick:
      break;
    case CommandKind::read_stock:
      out.str(command.sku);
      break;
    case CommandKind::read_reservation:
      out.str(command.reservation_id);
      break;
  }
  return out.take();
}

std::optional<ClusterCommand> decode_command(std::string_view bytes) {
  ByteReader in(bytes);
  ClusterCommand command;
  if (in.u8() != kCommandFormat) return std::nullopt;
  const uint8_t kind = in.u8();
  command.id = in.str();
  command.origin = in.u32();
  command.at = read_time(in);
  if (!in.ok()) return std::nullopt;
  switch (kind) {
    case static_cast<uint8_t>(CommandKind::events): {
      const uint32_t count = in.u32();
      if (!in.ok() || count == 0 || count > limits::batch_events_max) return std::nullopt;
      command.events.resize(count);
      for (Event& event : command.events) {
        if (!read_event(in, event)) return std::nullopt;
      }
      break;
    }
    case static_cast<uint8_t>(CommandKind::reserve):
      if (!read_reserve(in, command.reserve)) return std::nullopt;
      break;
    case static_cast<uint8_t>(CommandKind::end_reservation): {
      command.reservation_id = in.str();
      const uint8_t to = in.u8();
      command.order_id = in.str();
      command.principal = in.str();
      if (!valid_state(to) || to == static_cast<uint8_t>(ReservationState::active)) {
        return std::nullopt;
      }
      command.to = static_cast<ReservationState>(to);
      break;
    }
    case static_cast<uint8_t>(CommandKind::tick):
      break;
    case static_cast<uint8_t>(CommandKind::read_stock):
      command.sku = in.str();
      break;
    case static_cast<uint8_t>(CommandKind::read_reservation):
      command.reservation_id = in.str();
      break;
    default:
      return std::nullopt;
  }
  if (!in.ok() || !in.at_end()) return std::nullopt;
  command.kind = static_cast<CommandKind>(kind);
  return command;
}

std::optional<uint32_t> partition_of(const ClusterCommand& command, uint32_t partitions) {
  switch (command.kind) {
    case CommandKind::events: {
      if (command.events.empty()) return std::nullopt;
      const uint32_t partition = partition_of_sku(command.events.front().sku, partitions);
      for (const Event& event : command.events) {
        if (partition_of_sku(event.sku, partitions) != partition) return std::nullopt;
      }
      return partition;
    }
    case CommandKind::reserve:
      return partition_of_sku(command.reserve.sku, partitions);
    case CommandKind::read_stock:
      return partition_of_sku(command.sku, partitions);
    case CommandKind::end_reservation:
    case CommandKind::read_reservation:
      return partition_of_reservation(command.reservation_id, partitions);
    case CommandKind::tick:
      return std::nullopt;
  }
  return std::nullopt;
}

namespace {

void write_event_result(ByteWriter& out, const EventResult& result) {
  out.str(result.id);
  out.u8(static_cast<uint8_t>(result.status));
  out.u64(result.version);
  out.u8(static_cast<uint8_t>(result.error));
  out.str(result.error_field);
  out.u32(result.anomalies);
  out.i64(result.on_hand_delta);
}

bool read_event_result(ByteReader& in, EventResult& result) {
  result.id = in.str();
  const uint8_t status = in.u8();
  result.version = in.u64();
  const uint8_t error = in.u8();
  result.error_field = in.str();
  result.anomalies = in.u32();
  result.on_hand_delta = in.i64();
  if (!in.ok() || status < static_cast<uint8_t>(EventStatus::applied) ||
      status > static_cast<uint8_t>(EventStatus::rejected) ||
      error > static_cast<uint8_t>(EventError::overloaded)) {
    return false;
  }
  result.status = static_cast<EventStatus>(status);
  result.error = static_cast<EventError>(error);
  return true;
}

}  // namespace

std::string encode_reply(const ClusterReply& reply) {
  ByteWriter out;
  out.u8(kReplyFormat);
  out.str(reply.command_id);
  out.u8(static_cast<uint8_t>(reply.kind));
  switch (reply.kind) {
    case CommandKind::events:
      out.u32(static_cast<uint32_t>(reply.events.size()));
      for (const EventResult& result : reply.events) write_event_result(out, result);
      break;
    case CommandKind::reserve:
    case CommandKind::end_reservation:
    case CommandKind::read_reservation:
      out.u8(static_cast<uint8_t>(reply.reserve.status));
      out.str(encode_reservation(reply.reserve.reservation));
      out.i64(reply.reserve.available);
      out.u64(reply.reserve.version);
      out.u8(reply.reserve.replayed ? 1 : 0);
      break;
    case CommandKind::read_stock:
      out.str(reply.stock.sku);
      out.u32(static_cast<uint32_t>(reply.stock.positions.size()));
      for (const PositionView& view : reply.stock.positions) {
        out.str(view.location);
        out.str(encode_position(view.position));
      }
      out.u32(static_cast<uint32_t>(reply.stock.purchase_orders.size()));
      for (const PurchaseOrder& po : reply.stock.purchase_orders) {
        out.str(encode_purchase_order(po));
      }
      out.u8(reply.stock.overloaded ? 1 : 0);
      out.u8(reply.stock.from_last_durable_state ? 1 : 0);
      break;
    case CommandKind::tick:
      break;
  }
  return out.take();
}

std::optional<ClusterReply> decode_reply(std::string_view bytes) {
  ByteReader in(bytes);
  ClusterReply reply;
  if (in.u8() != kReplyFormat) return std::nullopt;
  reply.command_id = in.str();
  const uint8_t kind = in.u8();
  if (!in.ok()) return std::nullopt;
  switch (kind) {
    case static_cast<uint8_t>(CommandKind::events): {
      const uint32_t count = in.u32();
      if (!in.ok() || count > limits::batch_events_max) return std::nullopt;
      reply.events.resize(count);
      for (EventResult& result : reply.events) {
        if (!read_event_result(in, result)) return std::nullopt;
      }
      break;
    }
    case static_cast<uint8_t>(CommandKind::reserve):
    case static_cast<uint8_t>(CommandKind::end_reservation):
    case static_cast<uint8_t>(CommandKind::read_reservation): {
      const uint8_t status = in.u8();
      const std::string reservation = in.str();
      reply.reserve.available = in.i64();
      reply.reserve.version = in.u64();
      const uint8_t replayed = in.u8();
      if (!in.ok() || status > static_cast<uint8_t>(ReserveStatus::idempotency_in_flight) ||
          replayed > 1) {
        return std::nullopt;
      }
      std::optional<Reservation> decoded = decode_reservation(reservation);
      if (!decoded) return std::nullopt;
      reply.reserve.status = static_cast<ReserveStatus>(status);
      reply.reserve.reservation = std::move(*decoded);
      reply.reserve.replayed = replayed == 1;
      break;
    }
    case static_cast<uint8_t>(CommandKind::read_stock): {
      reply.stock.sku = in.str();
      const uint32_t positions = in.u32();
      if (!in.ok() || positions > limits::locations_max) return std::nullopt;
      for (uint32_t i = 0; i < positions; ++i) {
        PositionView view;
        view.location = in.str();
        std::optional<Position> position = decode_position(in.str());
        if (!in.ok() || !position) return std::nullopt;
        view.position = *position;
        reply.stock.positions.push_back(std::move(view));
      }
      const uint32_t purchase_orders = in.u32();
      if (!in.ok() || purchase_orders > bytes.size()) return std::nullopt;
      for (uint32_t i = 0; i < purchase_orders; ++i) {
        std::optional<PurchaseOrder> po = decode_purchase_order(in.str());
        if (!in.ok() || !po) return std::nullopt;
        reply.stock.purchase_orders.push_back(std::move(*po));
      }
      const uint8_t overloaded = in.u8();
      const uint8_t durable = in.u8();
      if (overloaded > 1 || durable > 1) return std::nullopt;
      reply.stock.overloaded = overloaded == 1;
      reply.stock.from_last_durable_state = durable == 1;
      break;
    }
    default:
      return std::nullopt;
  }
  if (!in.ok() || !in.at_end()) return std::nullopt;
  reply.kind = static_cast<CommandKind>(kind);
  return reply;
}

std::string encode_config_change(const ConfigChange& change) {
  ByteWriter out;
  out.u8(kCommandFormat);
  out.str(change.command_id);
  out.u32(change.origin);
  out.u8(static_cast<uint8_t>(change.kind));
  out.str(change.entry_id);
  out.str(change.bytes);
  return out.take();
}

std::optional<ConfigChange> decode_config_change(std::string_view bytes) {
  ByteReader in(bytes);
  ConfigChange change;
  if (in.u8() != kCommandFormat) return std::nullopt;
  change.command_id = in.str();
  change.origin = in.u32();
  const uint8_t kind = in.u8();
  change.entry_id = in.str();
  change.bytes = in.str();
  if (!in.ok() || !in.at_end()) return std::nullopt;
  switch (kind) {
    case static_cast<uint8_t>(ConfigKind::location):
    case static_cast<uint8_t>(ConfigKind::source):
    case static_cast<uint8_t>(ConfigKind::channel):
    case static_cast<uint8_t>(ConfigKind::bundle):
    case static_cast<uint8_t>(ConfigKind::promotion):
      change.kind = static_cast<ConfigKind>(kind);
      return change;
    default:
      return std::nullopt;
  }
}

}  // namespace stockd
