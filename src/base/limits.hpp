// Every bound stockd enforces, in one place. Hitting one returns a status or
// backpressure; nothing grows without limit.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace stockd::limits {

inline constexpr size_t sku_length_max = 128;
inline constexpr size_t id_length_max = 128;    // event ids, location/source/channel ids
inline constexpr size_t text_length_max = 512;  // reason, reference and other free text
inline constexpr int64_t quantity_max = 1'000'000'000;
inline constexpr size_t batch_events_max = 10'000;  // events in one submitted batch
inline constexpr size_t shard_queue_commands_max = 65'536;
inline constexpr size_t shard_batch_commands_max = 4'096;  // commands in one durable write
inline constexpr size_t shards_max = 256;
inline constexpr uint32_t shard_slots = 65'536;  // SKU hash slots; shard = slot % shards
inline constexpr int64_t reservation_ttl_seconds_max = 7 * 24 * 3600;
inline constexpr int64_t reservation_ttl_seconds_default = 900;
inline constexpr int64_t idempotency_retention_seconds_default = 7 * 24 * 3600;
inline constexpr int64_t clock_drift_tolerance_seconds_default = 300;
inline constexpr size_t locations_max = 100'000;
inline constexpr size_t reservation_candidates_max = 1'000;

static_assert(shard_batch_commands_max <= shard_queue_commands_max);
static_assert(shards_max <= shard_slots);
static_assert(batch_events_max <= shard_queue_commands_max);

}  // namespace stockd::limits
