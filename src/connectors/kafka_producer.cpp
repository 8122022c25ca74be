#include <boost/json.hpp>

#include <cstdio>

#include "connectors/kafka.hpp"
#include "connectors/kafka_common.hpp"
#include "sync/cloud_event.hpp"

namespace stockd {
namespace {

constexpr char kCursorKey[] = "kafka-producer-cursor";
constexpr size_t kRowsPerRead = 1'000;
constexpr int kFlushTimeoutMs = 30'000;
constexpr auto kIdleWait = std::chrono::milliseconds{100};
constexpr auto kRetryWait = std::chrono::milliseconds{500};

// Counts the delivery reports of one batch.
struct BatchReports {
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> failed{0};
  std::mutex mutex;
  std::string error;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  auto* reports = static_cast<BatchReports*>(message->_private);
  if (reports == nullptr) return;
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    reports->delivered.fetch_add(1);
  } else {
    reports->failed.fetch_add(1);
    std::lock_guard lock(reports->mutex);
    reports->error = rd_kafka_err2str(message->err);
  }
}

}  // namespace

struct KafkaProducer::Impl {
  Engine& engine;
  Store& store;
  KafkaOptions options;
  rd_kafka_t* kafka = nullptr;
  std::thread thread;
  std::atomic<bool> stopping{false};
  mutable std::mutex mutex;
  KafkaProducerStats stats;
  std::vector<uint64_t> cursors;  // guarded by mutex (read by the janitor)

  Impl(Engine& engine, Store& store, KafkaOptions options)
      : engine(engine), store(store), options(std::move(options)) {}

  bool wanted(const OutboxRow& row) const {
    return row.kind == OutboxKind::availability_changed || options.produce_stock_changes;
  }

  // Publishes one shard's rows; true once every one is acknowledged (acks=all).
  bool publish(const std::vector<OutboxRow>& rows) {
    BatchReports reports;
    uint64_t sent = 0;
    for (const OutboxRow& row : rows) {
      if (!wanted(row)) continue;
      const std::string value = boost::json::serialize(cloud_event_data(row));
      rd_kafka_headers_t* headers = rd_kafka_headers_new(8);
      for (const auto& [name, header] : cloud_event_headers(row)) {
        rd_kafka_header_add(headers, name.c_str(), static_cast<ssize_t>(name.size()), header.data(),
                            static_cast<ssize_t>(header.size()));
      }
      rd_kafka_resp_err_t err;
      while (true) {
        err =
            rd_kafka_producev(kafka, RD_KAFKA_V_TOPIC(options.produce_topic.c_str()),
                              RD_KAFKA_V_KEY(row.sku.data(), row.sku.size()),
                              RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
                              RD_KAFKA_V_OPAQUE(&reports), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
        rd_kafka_poll(kafka, 50);  // the local queue is full: let it drain
      }
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_headers_destroy(headers);  // not taken over on failure
        note_error(std::string("produce: ") + rd_kafka_err2str(err));
        rd_kafka_flush(kafka, kFlushTimeoutMs);
        return false;
      }
      ++sent;
    }
    if (sent == 0) return true;
    rd_kafka_flush(kafka, kFlushTimeoutMs);
    if (reports.delivered.load() != sent) {
      std::lock_guard lock(reports.mutex);
      note_error("delivery failed: " + (reports.error.empty() ? "timed out" : reports.error));
      return false;
    }
    std::lock_guard lock(mutex);
    stats.published += sent;
    return true;
  }

  void note_error(std::string error) {
    std::fprintf(stderr, "stockd: kafka producer: %s\n", error.c_str());
    std::lock_guard lock(mutex);
    stats.last_error = std::move(error);
    stats.failed_batches += 1;
  }

  void run() {
    uint64_t generation = engine.outbox_generation();
    std::vector<OutboxRow> rows;
    while (!stopping) {
      bool progressed = false;
      std::vector<uint64_t> next;
      {
        std::lock_guard lock(mutex);
        next = cursors;
      }
      for (uint32_t shard = 0; shard < next.size() && !stopping; ++shard) {
        rows.clear();
        if (Status status = store.read_outbox(shard, next[shard], kRowsPerRead, rows);
            !status.is_ok()) {
          note_error("reading the outbox: " + status.message());
          continue;
        }
        if (rows.empty()) continue;
        if (!publish(rows)) {
          std::this_thread::sleep_for(kRetryWait);
          progressed = true;  // try again without waiting for new rows
          break;
        }
        next[shard] = rows.back().sequence;
        if (Status status = store.put_aux_unsynced(kCursorKey, encode_outbox_cursors(next));
            !status.is_ok()) {
          note_error("saving the cursor: " + status.message());
        }
        std::lock_guard lock(mutex);
        cursors = next;
        progressed = true;
      }
      if (!progressed) generation = engine.wait_outbox(generation, kIdleWait);
    }
  }
};

KafkaProducer::KafkaProducer(Engine& engine, Store& store, KafkaOptions options)
    : impl_(std::make_unique<Impl>(engine, store, std::move(options))) {}

KafkaProducer::~KafkaProducer() { stop(); }

Status KafkaProducer::start() {
  const auto saved = impl_->store.get_aux(kCursorKey);
  const auto decoded =
      saved ? decode_outbox_cursors(*saved, impl_->engine.shard_count()) : std::nullopt;
  // First start (or a changed shard count): from the current head.
  impl_->cursors = decoded ? *decoded : impl_->engine.outbox_heads();
  if (!decoded) {
    if (Status status = impl_->store.put_aux(kCursorKey, encode_outbox_cursors(impl_->cursors));
        !status.is_ok()) {
      return status;
    }
  }
  std::string error;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  using kafka_detail::set;
  const bool ok = set(conf, "enable.idempotence", "true", &error) &&
                  set(conf, "acks", "all", &error) && set(conf, "linger.ms", "5", &error) &&
                  kafka_detail::set_all(conf, impl_->options, &error);
  if (!ok) {
    rd_kafka_conf_destroy(conf);
    return Status::error(error);
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  char message[512];
  impl_->kafka = rd_kafka_new(RD_KAFKA_PRODUCER, conf, message, sizeof message);
  if (impl_->kafka == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::error(std::string("kafka producer: ") + message);
  }
  if (impl_->options.produce_stock_changes) impl_->engine.want_stock_changes(true);
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
  return Status::ok();
}

void KafkaProducer::stop() {
  if (impl_->kafka == nullptr) return;
  impl_->stopping = true;
  if (impl_->thread.joinable()) impl_->thread.join();
  rd_kafka_flush(impl_->kafka, kFlushTimeoutMs);
  rd_kafka_destroy(impl_->kafka);
  impl_->kafka = nullptr;
  if (impl_->options.produce_stock_changes) impl_->engine.want_stock_changes(false);
}

KafkaProducerStats KafkaProducer::stats() const {
  std::lock_guard lock(impl_->mutex);
  KafkaProducerStats out = impl_->stats;
  out.cursors = impl_->cursors;
  return out;
}

std::vector<uint64_t> KafkaProducer::cursors() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->cursors;
}

}  // namespace stockd
