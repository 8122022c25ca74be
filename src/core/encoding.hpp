// Stored forms of the domain's values, in the deterministic encoding of base/bytes.
// Every encoding starts with a one-byte format version; a decoder returns nullopt for
// anything it cannot fully read, so a corrupt value is reported, never half-used.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/sha256.hpp"
#include "core/catalog.hpp"
#include "core/event.hpp"
#include "core/position.hpp"
#include "core/purchase_order.hpp"
#include "core/reservation.hpp"

namespace stockd {

std::string encode_position(const Position& position);
std::optional<Position> decode_position(std::string_view bytes);

std::string encode_reservation(const Reservation& reservation);
std::optional<Reservation> decode_reservation(std::string_view bytes);

std::string encode_location(const Location& location);
std::optional<Location> decode_location(std::string_view bytes);
std::string encode_source(const Source& source);
std::optional<Source> decode_source(std::string_view bytes);
std::string encode_bundle(const Bundle& bundle);
std::optional<Bundle> decode_bundle(std::string_view bytes);
std::string encode_promotion(const Promotion& promotion);
std::optional<Promotion> decode_promotion(std::string_view bytes);
std::string encode_channel(const Channel& channel);
std::optional<Channel> decode_channel(std::string_view bytes);

// The canonical bytes of an event as the client sent it; its hash is the payload
// hash idempotency compares.
std::string canonical_event_bytes(const Event& event);
// The event those bytes describe (without if_version and principal, which are not part of
// the payload); nullopt when they are not canonical event bytes (cluster/commands.cpp).
std::optional<Event> decode_canonical_event(std::string_view bytes);
inline Sha256Digest event_payload_hash(const Event& event) {
  return sha256(canonical_event_bytes(event));
}

// What is remembered of an applied (or superseded) event under its (source, id).
struct IdempotencyEntry {
  Sha256Digest payload_hash{};
  Timestamp received_at{};
  EventStatus status = EventStatus::applied;
  uint64_t version = 0;
  uint32_t anomalies = 0;
  friend bool operator==(const IdempotencyEntry&, const IdempotencyEntry&) = default;
};
std::string encode_idempotency_entry(const IdempotencyEntry& entry);
std::optional<IdempotencyEntry> decode_idempotency_entry(std::string_view bytes);

// What is remembered of a reservation request under its Idempotency-Key: the request's
// fingerprint and its outcome, so a replay returns the first response.
struct RequestKeyEntry {
  Sha256Digest fingerprint{};
  Timestamp created_at{};
  ReserveStatus status = ReserveStatus::ok;
  int64_t available = 0;
  Reservation reservation;  // as created (status ok)
  uint64_t version = 0;     // the position's version the first response carried
  friend bool operator==(const RequestKeyEntry&, const RequestKeyEntry&) = default;
};
std::string encode_purchase_order(const PurchaseOrder& po);
std::optional<PurchaseOrder> decode_purchase_order(std::string_view bytes);

std::string encode_request_key_entry(const RequestKeyEntry& entry);
std::optional<RequestKeyEntry> decode_request_key_entry(std::string_view bytes);

}  // namespace stockd
