#include "core/ledger.hpp"

#include "base/assert.hpp"
#include "base/bytes.hpp"
#include "core/encoding.hpp"
#include "core/velocity.hpp"

namespace stockd {
namespace {

constexpr uint8_t kLedgerFormat = 1;
constexpr uint8_t kLedgerFormatAttributed = 2;  // + principal and rejection error
constexpr size_t kDeltasMax = 16;

bool valid_kind(uint8_t value) { return value >= 1 && value <= 7; }
bool valid_status(uint8_t value) { return value >= 1 && value <= 4; }
bool valid_bucket(uint8_t value) { return value >= 1 && value <= 8; }

void read_digest(ByteReader& reader, Sha256Digest& digest) {
  const std::string_view bytes = reader.raw(digest.size());
  if (bytes.size() == digest.size()) std::copy(bytes.begin(), bytes.end(), digest.begin());
}

}  // namespace

std::string_view record_kind_name(RecordKind kind) {
  switch (kind) {
    case RecordKind::event:
      return "event";
    case RecordKind::reservation_created:
      return "reservation_created";
    case RecordKind::reservation_committed:
      return "reservation_committed";
    case RecordKind::reservation_released:
      return "reservation_released";
    case RecordKind::reservation_expired:
      return "reservation_expired";
    case RecordKind::purchase_order:
      return "purchase_order";
    case RecordKind::promise_at_risk:
      return "promise_at_risk";
  }
  STOCKD_UNREACHABLE();
}

std::string canonical_bytes(const LedgerRecord& record) {
  ByteWriter out;
  const bool attributed = !record.principal.empty() || record.error != EventError::none;
  out.u8(attributed ? kLedgerFormatAttributed : kLedgerFormat);
  out.u32(record.stream);
  out.u64(record.sequence);
  out.i64(micros_of(record.received_at));
  out.u8(static_cast<uint8_t>(record.kind));
  out.str(record.sku);
  out.str(canonical_event_bytes(record.event));
  out.u8(static_cast<uint8_t>(record.status));
  out.u32(record.anomalies);
  out.i64(micros_of(record.effective_occurred_at));
  out.str(record.reservation_id);
  out.i64(record.reservation_quantity);
  out.str(record.order_id);
  out.u32(static_cast<uint32_t>(record.deltas.size()));
  for (const LedgerDelta& delta : record.deltas) {
    out.str(delta.location);
    out.u8(static_cast<uint8_t>(delta.bucket));
    out.i64(delta.delta);
  }
  out.u32(static_cast<uint32_t>(record.versions.size()));
  for (const PositionVersion& version : record.versions) {
    out.str(version.location);
    out.u64(version.version);
  }
  if (attributed) {
    out.str(record.principal);
    out.u8(static_cast<uint8_t>(record.error));
  }
  return out.take();
}

Sha256Digest chain_hash(const Sha256Digest& prev_hash, const LedgerRecord& record) {
  return sha256(as_bytes(prev_hash), canonical_bytes(record));
}

std::string encode_ledger_record(const LedgerRecord& record) {
  std::string bytes = canonical_bytes(record);
  bytes.append(as_bytes(record.prev_hash));
  bytes.append(as_bytes(record.hash));
  return bytes;
}

std::optional<LedgerRecord> decode_ledger_record(std::string_view bytes) {
  ByteReader in(bytes);
  LedgerRecord record;
  const uint8_t format = in.u8();
  if (format != kLedgerFormat && format != kLedgerFormatAttributed) return std::nullopt;
  record.stream = in.u32();
  record.sequence = in.u64();
  record.received_at = timestamp_from_micros(in.i64());
  const uint8_t kind = in.u8();
  if (!valid_kind(kind)) return std::nullopt;
  record.kind = static_cast<RecordKind>(kind);
  record.sku = in.str();
  const std::string event_bytes = in.str();
  {
    // The event's canonical form is its own small record; decode it field by field.
    ByteReader event_in(event_bytes);
    if (event_in.u8() != 1) return std::nullopt;
    record.event.id = event_in.str();
    record.event.source = event_in.str();
    const uint8_t type = event_in.u8();
    if (type < 1 || type > 13) return std::nullopt;
    record.event.type = static_cast<EventType>(type);
    record.event.sku = event_in.str();
    record.event.location = event_in.str();
    record.event.quantity = event_in.i64();
    record.event.occurred_at = timestamp_from_micros(event_in.i64());
    record.event.reason = event_in.str();
    record.event.condition = event_in.str();
    record.event.reference = event_in.str();
    record.event.to_location = event_in.str();
    record.event.from_status = event_in.str();
    record.event.to_status = event_in.str();
    if (!event_in.ok() || !event_in.at_end()) return std::nullopt;
  }
  const uint8_t status = in.u8();
  if (!valid_status(status)) return std::nullopt;
  record.status = static_cast<EventStatus>(status);
  record.anomalies = in.u32();
  record.effective_occurred_at = timestamp_from_micros(in.i64());
  record.reservation_id = in.str();
  record.reservation_quantity = in.i64();
  record.order_id = in.str();
  const uint32_t delta_count = in.u32();
  if (delta_count > kDeltasMax) return std::nullopt;
  for (uint32_t i = 0; i < delta_count && in.ok(); ++i) {
    LedgerDelta delta;
    delta.location = in.str();
    const uint8_t bucket = in.u8();
    if (!valid_bucket(bucket)) return std::nullopt;
    delta.bucket = static_cast<Bucket>(bucket);
    delta.delta = in.i64();
    record.deltas.push_back(std::move(delta));
  }
  const uint32_t version_count = in.u32();
  if (version_count > kDeltasMax) return std::nullopt;
  for (uint32_t i = 0; i < version_count && in.ok(); ++i) {
    PositionVersion version;
    version.location = in.str();
    version.version = in.u64();
    record.versions.push_back(std::move(version));
  }
  if (format == kLedgerFormatAttributed) {
    record.principal = in.str();
    const uint8_t error = in.u8();
    if (error > kEventErrorMax) return std::nullopt;
    record.error = static_cast<EventError>(error);
  }
  read_digest(in, record.prev_hash);
  read_digest(in, record.hash);
  if (!in.ok() || !in.at_end()) return std::nullopt;
  return record;
}

void replay_record(const LedgerRecord& record,
                   const std::function<Position&(std::string_view location)>& position_at) {
  for (const LedgerDelta& delta : record.deltas) {
    position_at(delta.location).bucket(delta.bucket) += delta.delta;
  }
  // Velocity as the engine keeps it: sales and shipments, applied or superseded.
  if (record.kind == RecordKind::event &&
      (record.event.type == EventType::sale || record.event.type == EventType::shipment) &&
      (record.status == EventStatus::applied || record.status == EventStatus::superseded)) {
    record_sale(position_at(record.event.location), record.event.quantity,
                record.effective_occurred_at);
  }
  for (const PositionVersion& version : record.versions) {
    Position& position = position_at(version.location);
    position.version = version.version;
    if (record.kind == RecordKind::event) {
      position.last_event_at = std::max(position.last_event_at, record.effective_occurred_at);
      if (record.event.type == EventType::count && record.status == EventStatus::applied) {
        position.last_count_at = record.effective_occurred_at;
      }
    }
  }
}

}  // namespace stockd
