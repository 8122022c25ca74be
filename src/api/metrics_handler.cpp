// GET /metrics: the Prometheus text format, composed at scrape time from the engine,
// the sync adapters, alerts and the HTTP counters.
#include "api/handlers.hpp"
#include "cluster/cluster_node.hpp"
#include "connectors/kafka.hpp"
#include "observability/prometheus.hpp"
#include "sync/webhook_service.hpp"

namespace stockd {

void get_metrics(ApiContext& api, Call call) {
  PrometheusText out;
  const EngineStats stats = api.engine.stats();
  const EngineMetrics metrics = api.engine.metrics();

  out.family("stockd_events_total", "counter",
             "Events received, by source, type and result (applied, duplicate, superseded, "
             "rejected).");
  for (const auto& [key, count] : metrics.events) {
    out.sample("stockd_events_total",
               {{"source", key.source}, {"type", key.type}, {"result", key.status}},
               static_cast<double>(count));
  }
  out.family("stockd_event_lag_seconds", "histogram",
             "Received minus occurred of applied events, by source.");
  for (const auto& [source, histogram] : metrics.event_lag_seconds_by_source) {
    out.histogram("stockd_event_lag_seconds", {{"source", source}}, histogram);
  }
  out.family("stockd_location_event_lag_seconds", "histogram",
             "Received minus occurred of applied events, by location (node).");
  for (const auto& [location, histogram] : metrics.event_lag_seconds_by_location) {
    out.histogram("stockd_location_event_lag_seconds", {{"location", location}}, histogram);
  }
  out.family("stockd_anomalies_total", "counter",
             "Anomalies raised by facts (negative on-hand, oversold, ...).");
  out.sample("stockd_anomalies_total", {}, static_cast<double>(stats.anomalies));
  out.family("stockd_reservations_total", "counter", "Reservations by outcome.");
  const std::pair<const char*, uint64_t> reservations[] = {
      {"created", stats.reservations_created},
      {"committed", stats.reservations_committed},
      {"released", stats.reservations_released},
      {"expired", stats.reservations_expired},
      {"refused", stats.reservations_refused}};
  for (const auto& [result, count] : reservations) {
    out.sample("stockd_reservations_total", {{"result", result}}, static_cast<double>(count));
  }
  out.family("stockd_promises_at_risk_total", "counter",
             "Backorder promises put at risk by a purchase order that slipped.");
  out.sample("stockd_promises_at_risk_total", {}, static_cast<double>(stats.promises_at_risk));
  out.family("stockd_stock_exceptions_total", "counter",
             "Stock exceptions found on the event stream (GET /v1/exceptions), by kind.");
  for (const ExceptionKind kind : kAllExceptionKinds) {
    out.sample("stockd_stock_exceptions_total", {{"kind", std::string(exception_kind_name(kind))}},
               static_cast<double>(stats.exceptions_detected[static_cast<size_t>(kind)]));
  }
  out.family("stockd_storage_degraded", "gauge",
             "1 while a shard retries a failed durable write (it refuses new commands; stock "
             "reads are answered from the last durable state).");
  out.sample("stockd_storage_degraded", {}, api.engine.storage_degraded() ? 1.0 : 0.0);
  out.family("stockd_storage_write_failures_total", "counter",
             "Durable writes the store refused (each retry counts).");
  out.sample("stockd_storage_write_failures_total", {},
             static_cast<double>(api.engine.storage_write_failures()));
  out.family("stockd_storage_reopens_total", "counter",
             "Times the store was closed and opened again after an error RocksDB would not "
             "resume from.");
  out.sample("stockd_storage_reopens_total", {}, static_cast<double>(api.engine.storage_reopens()));
  out.family("stockd_durable_state_reads_total", "counter",
             "Stock reads answered from the last durable state because their shard could not "
             "write.");
  out.sample("stockd_durable_state_reads_total", {},
             static_cast<double>(api.engine.durable_state_reads()));
  out.family("stockd_stock_exceptions_open", "gauge", "Stock exceptions not yet resolved.");
  out.sample("stockd_stock_exceptions_open", {},
             static_cast<double>(api.engine.open_stock_exceptions()));
  out.family("stockd_overloaded_total", "counter", "Commands refused because a queue was full.");
  out.sample("stockd_overloaded_total", {}, static_cast<double>(stats.overloaded));
  out.family("stockd_engine_queue_commands", "gauge", "Commands waiting in the shard queues.");
  out.sample("stockd_engine_queue_commands", {}, static_cast<double>(stats.queue_depth));
  out.family("stockd_engine_batch_commands", "histogram", "Commands per shard batch.");
  out.histogram("stockd_engine_batch_commands", {}, metrics.batch_commands);
  out.family("stockd_engine_write_duration_seconds", "histogram",
             "Duration of one durable (fsync'ed) shard batch write.");
  out.histogram("stockd_engine_write_duration_seconds", {}, metrics.write_seconds);
  out.family("stockd_availability_changes_total", "counter",
             "Channel availability changes written to the outbox.");
  out.sample("stockd_availability_changes_total", {},
             static_cast<double>(metrics.availability_changes));

  // Sync.
  const std::vector<WebhookView> hooks =
      api.webhooks != nullptr ? api.webhooks->list() : std::vector<WebhookView>{};
  const auto per_hook = [&](std::string_view name, std::string_view type, std::string_view help,
                            auto value) {
    out.family(name, type, help);
    for (const WebhookView& view : hooks) {
      out.sample(name, {{"webhook", view.subscription.id}},
                 static_cast<double>(value(view.status)));
    }
  };
  per_hook("stockd_webhook_deliveries_total", "counter", "Webhook deliveries acknowledged (2xx).",
           [](const WebhookStatus& s) { return s.delivered; });
  per_hook("stockd_webhook_failed_attempts_total", "counter",
           "Webhook attempts that failed (non-2xx or no answer).",
           [](const WebhookStatus& s) { return s.failed_attempts; });
  per_hook("stockd_webhook_retries_total", "counter", "Webhook attempts after an event's first.",
           [](const WebhookStatus& s) { return s.retries; });
  per_hook("stockd_webhook_dead_letters_total", "counter",
           "Events moved to the dead-letter list after max_attempts.",
           [](const WebhookStatus& s) { return s.dead_lettered; });
  per_hook("stockd_webhook_conflated_total", "counter",
           "Changes replaced by a newer one for the same SKU and channel before delivery.",
           [](const WebhookStatus& s) { return s.conflated; });
  per_hook("stockd_webhook_pending", "gauge", "Conflated entries waiting for delivery.",
           [](const WebhookStatus& s) { return s.pending; });
  per_hook("stockd_webhook_circuit_open", "gauge", "1 while the circuit breaker is not closed.",
           [](const WebhookStatus& s) { return s.circuit == "closed" ? 0 : 1; });
  out.family("stockd_sync_lag_seconds", "histogram",
             "Durable write to acknowledged webhook delivery of availability changes, by "
             "channel.");
  std::map<std::string, Histogram> sync_lag;
  for (const WebhookView& view : hooks) {
    for (const auto& [channel, histogram] : view.status.delivery_lag_seconds_by_channel) {
      sync_lag.try_emplace(channel, Histogram::seconds()).first->second.merge(histogram);
    }
  }
  for (const auto& [channel, histogram] : sync_lag) {
    out.histogram("stockd_sync_lag_seconds", {{"channel", channel}}, histogram);
  }
  out.family("stockd_channel_degraded", "gauge",
             "1 while the channel's sync fails or lags (it sells with its degraded buffer).");
  for (const auto& [channel_id, channel] : api.engine.catalog()->channels()) {
    out.sample("stockd_channel_degraded", {{"channel", channel_id}},
               api.health.degraded(channel_id) ? 1 : 0);
  }
  out.family("stockd_alerts_active", "gauge", "Alerts currently raised.");
  out.sample("stockd_alerts_active", {}, static_cast<double>(api.alerts.active().size()));
  if (api.kafka_consumer != nullptr) {
    const KafkaConsumerStats kafka = api.kafka_consumer->stats();
    out.family("stockd_kafka_consumed_messages_total", "counter", "Kafka messages consumed.");
    out.sample("stockd_kafka_consumed_messages_total", {}, static_cast<double>(kafka.messages));
  }
  if (api.kafka_producer != nullptr) {
    const KafkaProducerStats kafka = api.kafka_producer->stats();
    out.family("stockd_kafka_published_messages_total", "counter",
               "Outbox events published to Kafka and acknowledged.");
    out.sample("stockd_kafka_published_messages_total", {}, static_cast<double>(kafka.published));
  }
  if (api.cluster != nullptr) {
    const ClusterStats cluster = api.cluster->stats();
    out.family("stockd_cluster_commands_proposed_total", "counter",
               "Commands this node appended to the commands topic.");
    out.sample("stockd_cluster_commands_proposed_total", {}, static_cast<double>(cluster.proposed));
    out.family("stockd_cluster_commands_applied_total", "counter",
               "Commands of this node's partitions applied here.");
    out.sample("stockd_cluster_commands_applied_total", {}, static_cast<double>(cluster.applied));
    out.family("stockd_cluster_replies_total", "counter",
               "Answers sent to the nodes that proposed (sent) and received from owners.");
    out.sample("stockd_cluster_replies_total", {{"direction", "sent"}},
               static_cast<double>(cluster.replies_sent));
    out.sample("stockd_cluster_replies_total", {{"direction", "received"}},
               static_cast<double>(cluster.replies_received));
    out.family("stockd_cluster_timeouts_total", "counter",
               "Proposals answered 503 because no owner applied them in time.");
    out.sample("stockd_cluster_timeouts_total", {}, static_cast<double>(cluster.timed_out));
    out.family("stockd_cluster_rebalances_total", "counter",
               "Partition assignments and revocations this node went through.");
    out.sample("stockd_cluster_rebalances_total", {}, static_cast<double>(cluster.rebalances));
    out.family("stockd_cluster_catalogs_agree", "gauge",
               "1 while every live node announces the same catalog (0: nodes may decide "
               "differently on the same log; declare the same configuration everywhere).");
    out.sample("stockd_cluster_catalogs_agree", {}, cluster.catalogs_agree ? 1 : 0);
    out.family("stockd_cluster_partition_lag", "gauge",
               "Commands in the log not yet applied, per partition this node owns.");
    for (const auto& [partition, lag] : cluster.lag) {
      out.sample("stockd_cluster_partition_lag", {{"partition", std::to_string(partition)}},
                 static_cast<double>(lag));
    }
  }
  api.http_metrics.write(out);

  HttpResponse response;
  response.status = 200;
  response.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  response.body = out.text();
  call.respond(std::move(response));
}

}  // namespace stockd
