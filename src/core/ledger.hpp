// The ledger: an immutable, append-only record of every change, one hash chain per
// stream (the engine writes stream i from shard i). Each record's
// hash = SHA-256(prev_hash || canonical bytes of the record), so changing, removing or
// reordering any record breaks every hash after it. See docs/STORAGE.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/sha256.hpp"
#include "base/time.hpp"
#include "core/event.hpp"
#include "core/position.hpp"
#include "core/reservation.hpp"

namespace stockd {

// Stable values: stored.
enum class RecordKind : uint8_t {
  event = 1,
  reservation_created = 2,
  reservation_committed = 3,
  reservation_released = 4,
  reservation_expired = 5,
  // A PO opened or changed: reservation_id = PO id, reservation_quantity = ordered
  // quantity, order_id = vendor, effective_occurred_at = expected_at; delta on incoming.
  purchase_order = 6,
  // A backorder promise whose PO slipped past its locked window: reservation_id = the
  // reservation, order_id = the PO id, effective_occurred_at = the PO's new date.
  promise_at_risk = 7,
};
std::string_view record_kind_name(RecordKind kind);

struct LedgerDelta {
  std::string location;
  Bucket bucket = Bucket::on_hand;
  int64_t delta = 0;
  friend bool operator==(const LedgerDelta&, const LedgerDelta&) = default;
};

struct PositionVersion {
  std::string location;
  uint64_t version = 0;
  friend bool operator==(const PositionVersion&, const PositionVersion&) = default;
};

struct LedgerRecord {
  uint32_t stream = 0;
  uint64_t sequence = 0;  // 1, 2, 3... within the stream
  Timestamp received_at{};
  RecordKind kind = RecordKind::event;
  std::string sku;
  // kind == event: the event as received, what happened, and when it counted.
  Event event;
  EventStatus status = EventStatus::applied;
  uint32_t anomalies = 0;
  Timestamp effective_occurred_at{};
  // reservation kinds
  std::string reservation_id;
  int64_t reservation_quantity = 0;
  std::string order_id;
  // Who caused it (API token id) and, for a rejected fact, why. Stored from format 2 on;
  // records without either keep format 1 (and their hashes).
  std::string principal;
  EventError error = EventError::none;
  // every bucket change and the versions the touched positions reached
  std::vector<LedgerDelta> deltas;
  std::vector<PositionVersion> versions;
  Sha256Digest prev_hash{};
  Sha256Digest hash{};
  friend bool operator==(const LedgerRecord&, const LedgerRecord&) = default;
};

// The canonical bytes a record's hash covers: every field but the two hashes.
std::string canonical_bytes(const LedgerRecord& record);
Sha256Digest chain_hash(const Sha256Digest& prev_hash, const LedgerRecord& record);

// Stored form: canonical bytes, then prev_hash, then hash.
std::string encode_ledger_record(const LedgerRecord& record);
std::optional<LedgerRecord> decode_ledger_record(std::string_view bytes);

// Replays a record into the positions it touched (`position_at` returns the one at a
// location): its bucket deltas, versions, last event and count instants, and the sales
// velocity as the engine keeps it. Rebuilding positions as of a past time is folding
// every record received by then, in (stream, sequence) order.
void replay_record(const LedgerRecord& record,
                   const std::function<Position&(std::string_view location)>& position_at);

}  // namespace stockd
