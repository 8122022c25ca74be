#include "core/outbox.hpp"

#include <charconv>
#include <cstdio>

#include "base/bytes.hpp"
#include "core/encoding.hpp"

namespace stockd {
namespace {

constexpr uint8_t kOutboxFormat = 1;
constexpr uint8_t kPublishedFormat = 1;
constexpr uint32_t kLocationsMax = 100'000;

}  // namespace

std::string_view outbox_kind_type(OutboxKind kind) {
  switch (kind) {
    case OutboxKind::availability_changed:
      return "stockd.availability.changed";
    case OutboxKind::stock_changed:
      return "stockd.stock.changed";
  }
  return "stockd.unknown";
}

std::string outbox_event_id(const OutboxRow& row) {
  char buffer[48];
  const int length = std::snprintf(buffer, sizeof buffer, "%s-%u-%llu",
                                   row.kind == OutboxKind::availability_changed ? "av" : "st",
                                   row.shard, static_cast<unsigned long long>(row.sequence));
  return std::string(buffer, static_cast<size_t>(length));
}

std::string encode_outbox_cursors(const std::vector<uint64_t>& cursors) {
  std::string out;
  for (const uint64_t cursor : cursors) {
    if (!out.empty()) out.push_back(',');
    out += std::to_string(cursor);
  }
  return out;
}

std::optional<std::vector<uint64_t>> decode_outbox_cursors(std::string_view text, size_t shards) {
  std::vector<uint64_t> cursors;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view one = text.substr(0, comma);
    uint64_t value = 0;
    const auto [end, error] = std::from_chars(one.data(), one.data() + one.size(), value);
    if (error != std::errc{} || end != one.data() + one.size()) return std::nullopt;
    cursors.push_back(value);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  if (cursors.size() != shards) return std::nullopt;
  return cursors;
}

std::string encode_outbox_row(const OutboxRow& row) {
  ByteWriter out;
  out.u8(kOutboxFormat);
  out.u32(row.shard);
  out.u64(row.sequence);
  out.u8(static_cast<uint8_t>(row.kind));
  out.str(row.sku);
  out.i64(micros_of(row.occurred_at));
  out.i64(micros_of(row.recorded_at));
  if (row.kind == OutboxKind::availability_changed) {
    out.str(row.channel);
    out.i64(row.available);
    out.u32(static_cast<uint32_t>(row.locations.size()));
    for (const OutboxLocation& location : row.locations) {
      out.str(location.location);
      out.i64(location.available);
      out.u64(location.version);
    }
  } else {
    out.str(row.location);
    out.str(encode_position(row.position));
  }
  return out.take();
}

std::optional<OutboxRow> decode_outbox_row(std::string_view bytes) {
  ByteReader in(bytes);
  if (in.u8() != kOutboxFormat) return std::nullopt;
  OutboxRow row;
  row.shard = in.u32();
  row.sequence = in.u64();
  const uint8_t kind = in.u8();
  row.sku = in.str();
  row.occurred_at = timestamp_from_micros(in.i64());
  row.recorded_at = timestamp_from_micros(in.i64());
  if (kind == static_cast<uint8_t>(OutboxKind::availability_changed)) {
    row.kind = OutboxKind::availability_changed;
    row.channel = in.str();
    row.available = in.i64();
    const uint32_t count = in.u32();
    if (!in.ok() || count > kLocationsMax) return std::nullopt;
    row.locations.resize(count);
    for (OutboxLocation& location : row.locations) {
      location.location = in.str();
      location.available = in.i64();
      location.version = in.u64();
    }
  } else if (kind == static_cast<uint8_t>(OutboxKind::stock_changed)) {
    row.kind = OutboxKind::stock_changed;
    row.location = in.str();
    const std::string position = in.str();
    if (!in.ok()) return std::nullopt;
    const auto decoded = decode_position(position);
    if (!decoded) return std::nullopt;
    row.position = *decoded;
  } else {
    return std::nullopt;
  }
  if (!in.ok() || !in.at_end()) return std::nullopt;
  return row;
}

uint64_t breakdown_digest(const std::vector<OutboxLocation>& locations) {
  uint64_t hash = 14695981039346656037ull;
  const auto mix = [&](std::string_view bytes) {
    for (const char c : bytes) {
      hash ^= static_cast<uint8_t>(c);
      hash *= 1099511628211ull;
    }
  };
  for (const OutboxLocation& location : locations) {
    mix(location.location);
    mix(std::string_view("\0", 1));
    const std::string value = std::to_string(location.available);
    mix(value);
    mix(std::string_view("\0", 1));
  }
  return hash;
}

std::string encode_published(const PublishedAvailability& published) {
  ByteWriter out;
  out.u8(kPublishedFormat);
  out.i64(published.available);
  out.u64(published.breakdown_digest);
  return out.take();
}

std::optional<PublishedAvailability> decode_published(std::string_view bytes) {
  ByteReader in(bytes);
  if (in.u8() != kPublishedFormat) return std::nullopt;
  PublishedAvailability published;
  published.available = in.i64();
  published.breakdown_digest = in.u64();
  if (!in.ok() || !in.at_end()) return std::nullopt;
  return published;
}

}  // namespace stockd
