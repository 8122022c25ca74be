#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <future>

#include "codec/json.hpp"
#include "connectors/kafka.hpp"
#include "connectors/kafka_common.hpp"

namespace stockd {
namespace {

constexpr int kPollMs = 100;
constexpr auto kRetryWait = std::chrono::milliseconds{200};

std::string header_value(rd_kafka_message_t* message, const char* name) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      value == nullptr) {
    return {};
  }
  return std::string(static_cast<const char*>(value), size);
}

// CloudEvents attributes fill what the event itself leaves out: id, source (without a
// leading '/'), occurred_at (time) and type ("stockd.event.<type>" or the bare type).
void fill_from_cloud_event(boost::json::object& event, const std::string& id,
                           const std::string& source, const std::string& time,
                           const std::string& type) {
  if (!event.contains("id") && !id.empty()) event["id"] = id;
  if (!event.contains("source") && !source.empty()) {
    event["source"] = source.front() == '/' ? source.substr(1) : source;
  }
  if (!event.contains("occurred_at") && !time.empty()) event["occurred_at"] = time;
  if (!event.contains("type") && !type.empty()) {
    constexpr std::string_view kPrefix = "stockd.event.";
    event["type"] = type.starts_with(kPrefix) ? type.substr(kPrefix.size()) : type;
  }
}

// One message as events: a JSON event, {"events": [...]}, a structured CloudEvent, or
// binary mode (ce_ headers, the event as the value); on a CDC topic, a Debezium change.
std::vector<ParsedEvent> parse_message(rd_kafka_message_t* message,
                                       const std::vector<CdcMapping>& cdc) {
  std::vector<ParsedEvent> out;
  const std::string_view text(static_cast<const char*>(message->payload), message->len);
  const std::string_view topic = rd_kafka_topic_name(message->rkt);
  for (const CdcMapping& mapping : cdc) {
    if (mapping.topic == topic) {
      return debezium_events(mapping, text, message->partition, message->offset);
    }
  }
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec);
  ParsedEvent unreadable;
  unreadable.error = EventError::malformed;
  unreadable.error_field = "message";
  if (ec || !value.is_object()) {
    unreadable.detail = "the message value is not a JSON object";
    out.push_back(std::move(unreadable));
    return out;
  }
  boost::json::object& object = value.as_object();
  const std::string ce_version = header_value(message, "ce_specversion");
  if (!ce_version.empty()) {
    fill_from_cloud_event(object, header_value(message, "ce_id"),
                          header_value(message, "ce_source"), header_value(message, "ce_time"),
                          header_value(message, "ce_type"));
  } else if (object.contains("specversion") && object.contains("data")) {
    const auto text_of = [&](const char* key) -> std::string {
      const boost::json::value* found = object.if_contains(key);
      return found != nullptr && found->is_string() ? std::string(found->as_string()) : "";
    };
    boost::json::value data = object.at("data");
    if (!data.is_object()) {
      unreadable.detail = "the CloudEvent's data is not an event object";
      out.push_back(std::move(unreadable));
      return out;
    }
    fill_from_cloud_event(data.as_object(), text_of("id"), text_of("source"), text_of("time"),
                          text_of("type"));
    value = std::move(data);
  }
  if (const boost::json::value* events = value.as_object().if_contains("events")) {
    if (!events->is_array()) {
      unreadable.detail = "events must be an array";
      out.push_back(std::move(unreadable));
      return out;
    }
    for (const boost::json::value& event : events->as_array()) out.push_back(parse_event(event));
    return out;
  }
  out.push_back(parse_event(value));
  return out;
}

}  // namespace

struct KafkaConsumer::Impl {
  Engine& engine;
  KafkaOptions options;
  rd_kafka_t* kafka = nullptr;
  std::thread thread;
  std::atomic<bool> stopping{false};
  mutable std::mutex mutex;
  KafkaConsumerStats stats;

  Impl(Engine& engine, KafkaOptions options) : engine(engine), options(std::move(options)) {}

  void note_error(std::string error) {
    std::fprintf(stderr, "stockd: kafka consumer: %s\n", error.c_str());
    std::lock_guard lock(mutex);
    stats.last_error = std::move(error);
  }

  // Applies the batch durably; retries while the engine is overloaded. Returns false
  // only when stopping before it could apply.
  bool apply(std::vector<rd_kafka_message_t*>& batch) {
    std::vector<ParsedEvent> parsed;
    for (rd_kafka_message_t* message : batch) {
      for (ParsedEvent& event : parse_message(message, options.cdc)) {
        parsed.push_back(std::move(event));
      }
    }
    while (true) {
      std::promise<std::vector<EventResult>> promise;
      auto future = promise.get_future();
      submit_parsed_events(engine, parsed, [&promise](std::vector<EventResult> results) {
        promise.set_value(std::move(results));
      });
      const std::vector<EventResult> results = future.get();
      bool overloaded = false;
      for (const EventResult& result : results) {
        overloaded = overloaded || result.error == EventError::overloaded;
      }
      if (overloaded) {
        // Nothing is stored as consumed; applied events come back as duplicates.
        {
          std::lock_guard lock(mutex);
          stats.retries += 1;
        }
        if (stopping) return false;
        std::this_thread::sleep_for(kRetryWait);
        continue;
      }
      std::lock_guard lock(mutex);
      stats.messages += batch.size();
      for (size_t i = 0; i < results.size(); ++i) {
        const EventResult& result = results[i];
        switch (result.status) {
          case EventStatus::applied:
            stats.events_applied += 1;
            break;
          case EventStatus::duplicate:
            stats.events_duplicate += 1;
            break;
          case EventStatus::superseded:
            stats.events_superseded += 1;
            break;
          case EventStatus::rejected:
            if (parsed[i].error_field == "message") {
              stats.unreadable += 1;
              stats.last_rejection = parsed[i].detail;
            } else {
              stats.events_rejected += 1;
              stats.last_rejection = "event '" + result.id +
                                     "': " + std::string(event_error_name(result.error)) + " (" +
                                     result.error_field + ")";
            }
            break;
        }
      }
      return true;
    }
  }

  // Marks the batch consumed: its offsets are committed by the next (auto) commit.
  void store_offsets(const std::vector<rd_kafka_message_t*>& batch) {
    rd_kafka_topic_partition_list_t* offsets =
        rd_kafka_topic_partition_list_new(static_cast<int>(batch.size()));
    for (rd_kafka_message_t* message : batch) {
      rd_kafka_topic_partition_t* entry = rd_kafka_topic_partition_list_add(
          offsets, rd_kafka_topic_name(message->rkt), message->partition);
      entry->offset = message->offset + 1;
    }
    if (const rd_kafka_resp_err_t err = rd_kafka_offsets_store(kafka, offsets)) {
      note_error(std::string("storing offsets: ") + rd_kafka_err2str(err));
    }
    rd_kafka_topic_partition_list_destroy(offsets);
  }

  void run() {
    std::vector<rd_kafka_message_t*> batch;
    while (!stopping) {
      batch.clear();
      while (batch.size() < options.consume_batch_max) {
        rd_kafka_message_t* message = rd_kafka_consumer_poll(kafka, batch.empty() ? kPollMs : 0);
        if (message == nullptr) break;
        if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            note_error(rd_kafka_message_errstr(message));
          }
          rd_kafka_message_destroy(message);
          continue;
        }
        batch.push_back(message);
      }
      if (batch.empty()) continue;
      if (apply(batch)) store_offsets(batch);
      for (rd_kafka_message_t* message : batch) rd_kafka_message_destroy(message);
    }
  }
};

KafkaConsumer::KafkaConsumer(Engine& engine, KafkaOptions options)
    : impl_(std::make_unique<Impl>(engine, std::move(options))) {}

KafkaConsumer::~KafkaConsumer() { stop(); }

Status KafkaConsumer::start() {
  std::string error;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  using kafka_detail::set;
  const bool ok = set(conf, "group.id", impl_->options.group_id, &error) &&
                  // At-least-once: an offset is stored only after the durable write;
                  // auto commit then commits what was stored. Debian's 2.0.2 defaults
                  // differ, so both are explicit.
                  set(conf, "enable.auto.offset.store", "false", &error) &&
                  set(conf, "enable.auto.commit", "true", &error) &&
                  set(conf, "auto.commit.interval.ms", "200", &error) &&
                  set(conf, "auto.offset.reset", "earliest", &error) &&
                  set(conf, "enable.partition.eof", "false", &error) &&
                  kafka_detail::set_all(conf, impl_->options, &error);
  if (!ok) {
    rd_kafka_conf_destroy(conf);
    return Status::error(error);
  }
  char message[512];
  impl_->kafka = rd_kafka_new(RD_KAFKA_CONSUMER, conf, message, sizeof message);
  if (impl_->kafka == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::error(std::string("kafka consumer: ") + message);
  }
  rd_kafka_poll_set_consumer(impl_->kafka);
  rd_kafka_topic_partition_list_t* topics =
      rd_kafka_topic_partition_list_new(1 + static_cast<int>(impl_->options.cdc.size()));
  if (!impl_->options.consume_topic.empty()) {
    rd_kafka_topic_partition_list_add(topics, impl_->options.consume_topic.c_str(),
                                      RD_KAFKA_PARTITION_UA);
  }
  for (const CdcMapping& mapping : impl_->options.cdc) {
    rd_kafka_topic_partition_list_add(topics, mapping.topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  const rd_kafka_resp_err_t err = rd_kafka_subscribe(impl_->kafka, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_destroy(impl_->kafka);
    impl_->kafka = nullptr;
    return Status::error(std::string("kafka subscribe: ") + rd_kafka_err2str(err));
  }
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
  return Status::ok();
}

void KafkaConsumer::stop() {
  if (impl_->kafka == nullptr) return;
  impl_->stopping = true;
  if (impl_->thread.joinable()) impl_->thread.join();
  // Commits the stored offsets and leaves the group.
  rd_kafka_consumer_close(impl_->kafka);
  rd_kafka_destroy(impl_->kafka);
  impl_->kafka = nullptr;
}

KafkaConsumerStats KafkaConsumer::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

}  // namespace stockd
