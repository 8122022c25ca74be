// Outbox rows: the notifications a shard writes in the same atomic batch as the change
// they announce (DESIGN §5). Dispatchers (webhooks, Kafka) read them in (shard, sequence)
// order and turn them into CloudEvents. Pure: encoding and the change test only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "core/position.hpp"

namespace stockd {

enum class OutboxKind : uint8_t {
  availability_changed = 1,  // a channel's sellable quantity of a SKU changed
  stock_changed = 2,         // a position's buckets changed (internal consumers)
};
std::string_view outbox_kind_type(OutboxKind kind);  // CloudEvents `type`

struct OutboxLocation {
  std::string location;
  int64_t available = 0;  // what this location contributes to the channel
  uint64_t version = 0;   // the position's version
  friend bool operator==(const OutboxLocation&, const OutboxLocation&) = default;
};

struct OutboxRow {
  uint32_t shard = 0;
  uint64_t sequence = 0;  // per shard, from 1, gap-free
  OutboxKind kind = OutboxKind::availability_changed;
  std::string sku;
  Timestamp occurred_at{};  // the newest fact behind the change (or recorded_at)
  Timestamp recorded_at{};  // when the change became durable
  // availability_changed
  std::string channel;
  int64_t available = 0;
  std::vector<OutboxLocation> locations;
  // stock_changed
  std::string location;
  Position position;
  friend bool operator==(const OutboxRow&, const OutboxRow&) = default;
};

// A stable, unique event id: receivers de-duplicate on it.
std::string outbox_event_id(const OutboxRow& row);

// A consumer's cursor per shard, as stored ("12,0,7"); decoding refuses anything but
// exactly `shards` unsigned numbers.
std::string encode_outbox_cursors(const std::vector<uint64_t>& cursors);
std::optional<std::vector<uint64_t>> decode_outbox_cursors(std::string_view text, size_t shards);

std::string encode_outbox_row(const OutboxRow& row);
std::optional<OutboxRow> decode_outbox_row(std::string_view bytes);

// What was last announced for (SKU, channel): a change is announced when the total or
// any location's contribution differs. Positions' versions alone do not count.
struct PublishedAvailability {
  int64_t available = 0;
  uint64_t breakdown_digest = 0;  // FNV-1a of the (location, available) pairs
  friend bool operator==(const PublishedAvailability&, const PublishedAvailability&) = default;
};
uint64_t breakdown_digest(const std::vector<OutboxLocation>& locations);
std::string encode_published(const PublishedAvailability& published);
std::optional<PublishedAvailability> decode_published(std::string_view bytes);

}  // namespace stockd
