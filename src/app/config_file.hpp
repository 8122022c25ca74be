// The TOML configuration file (`--config stockd.toml`): engine settings and the
// locations, sources and channels to declare. Every setting has a default, a unit in
// its name and a clear error when invalid. See docs/CONFIGURATION.md.
#pragma once

#include <string>
#include <vector>

#include "connectors/debezium.hpp"
#include "core/catalog.hpp"
#include "engine/engine.hpp"

namespace stockd {

// [webhooks]: delivery tuning (docs/CONFIGURATION.md).
struct WebhookSettings {
  int64_t retry_base_ms = 1'000;
  int64_t retry_cap_ms = 600'000;
  int64_t breaker_failures = 5;
  int64_t breaker_open_ms = 30'000;
  int64_t pending_max = 100'000;
  int64_t default_sync_latency_ms = 60'000;
  int64_t secret_overlap_seconds = 24 * 3600;
};

// [kafka]: off unless brokers is set (docs/CONFIGURATION.md).
struct KafkaSettings {
  std::string brokers;
  std::string consume_topic;
  std::string group_id = "stockd";
  std::string produce_topic;
  bool produce_stock_changes = false;
  std::vector<std::pair<std::string, std::string>> properties;  // [kafka.properties]
  std::vector<CdcMapping> cdc;                                  // [[cdc]]
};

// [cluster]: several nodes over Kafka partitions; off unless bootstrap is set
// (docs/SCALING.md, docs/CONFIGURATION.md).
struct ClusterSettings {
  std::string bootstrap;
  int64_t node_id = 0;
  std::string advertised_address;  // "" = the --listen address
  int64_t partitions = 0;          // required with bootstrap: the commands topic's partitions
  std::string commands_topic = "stockd.commands";
  std::string replies_topic = "stockd.replies";
  std::string members_topic = "stockd.members";
  std::string config_topic = "stockd.config";
  std::string group_id = "stockd-cluster";
  int64_t session_timeout_ms = 10'000;
  int64_t request_timeout_ms = 15'000;
  int64_t tick_ms = 1'000;
};

struct FileConfig {
  size_t shards = 0;  // 0 = one per core
  int64_t clock_drift_tolerance_seconds = 300;
  int64_t idempotency_retention_seconds = 7 * 24 * 3600;
  int64_t store_block_cache_mb = 128;  // [store]
  int64_t store_memtables_mb = 128;
  std::vector<Location> locations;
  std::vector<Source> sources;
  std::vector<Channel> channels;
  WebhookSettings webhooks;
  KafkaSettings kafka;
  ClusterSettings cluster;
};

// Parses `path`. On failure returns false and sets `error` to "<path>: <where>: <what>".
bool load_config_file(const std::string& path, FileConfig& out, std::string* error);

// Declares the file's locations, sources and channels in the engine (insert or
// replace). Returns false with `error` naming the first entry the engine refused.
bool declare_catalog(Engine& engine, const FileConfig& config, std::string* error);

EngineOptions engine_options(const FileConfig& config);

}  // namespace stockd
