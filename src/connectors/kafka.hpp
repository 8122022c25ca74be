// Kafka adapters (librdkafka, DESIGN §4): a consumer that ingests stock events from a
// topic with at-least-once semantics and idempotent application (offsets are stored
// only after the events' durable write), and a producer that publishes the outbox as
// CloudEvents (binary mode, `ce_` headers) keyed by SKU, with an idempotent producer
// and acks=all. Both are off unless configured ([kafka] in stockd.toml).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.hpp"
#include "base/time.hpp"
#include "connectors/debezium.hpp"
#include "engine/engine.hpp"
#include "engine/store.hpp"

namespace stockd {

struct KafkaOptions {
  std::string brokers;          // bootstrap.servers; "" = Kafka off
  std::string consume_topic;    // "" = no stockd-event topic
  std::vector<CdcMapping> cdc;  // Debezium topics mapped to facts (connectors/debezium.hpp)
  std::string group_id = "stockd";
  std::string produce_topic;           // "" = no producer
  bool produce_stock_changes = false;  // also publish stockd.stock.changed
  size_t consume_batch_max = 1'000;
  // Extra librdkafka properties (key, value), applied last.
  std::vector<std::pair<std::string, std::string>> properties;
};

struct KafkaConsumerStats {
  uint64_t messages = 0;
  uint64_t events_applied = 0;
  uint64_t events_duplicate = 0;
  uint64_t events_superseded = 0;
  uint64_t events_rejected = 0;  // stored as consumed: a retry cannot fix them
  uint64_t unreadable = 0;       // not JSON, or not an event
  uint64_t retries = 0;          // batches retried (overloaded engine)
  std::string last_error;
  std::string last_rejection;
};

class KafkaConsumer {
 public:
  KafkaConsumer(Engine& engine, KafkaOptions options);
  ~KafkaConsumer();
  Status start();
  // Stops polling, commits what was durably applied, leaves the group.
  void stop();
  KafkaConsumerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct KafkaProducerStats {
  uint64_t published = 0;
  uint64_t failed_batches = 0;
  std::string last_error;
  std::vector<uint64_t> cursors;
};

class KafkaProducer {
 public:
  KafkaProducer(Engine& engine, Store& store, KafkaOptions options);
  ~KafkaProducer();
  Status start();
  void stop();
  KafkaProducerStats stats() const;
  // The durable cursor per shard (outbox rows at or below are published).
  std::vector<uint64_t> cursors() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stockd
