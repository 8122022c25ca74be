#include "app/serve.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include "api/api.hpp"
#include "api/handlers.hpp"
#include "api/http_server.hpp"
#include "api/live_feed.hpp"
#include "app/config_file.hpp"
#include "app/demo.hpp"
#include "cluster/cluster_node.hpp"
#include "connectors/kafka.hpp"
#include "engine/blocking.hpp"
#include "storage/rocks_store.hpp"
#include "sync/webhook_service.hpp"

namespace stockd {
namespace {

bool split_listen(const std::string& listen, std::string& address, uint16_t& port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  address = listen.substr(0, colon);
  const std::string digits = listen.substr(colon + 1);
  if (digits.empty() || digits.size() > 5) return false;
  int value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

void load_demo(Engine& engine, const Clock& clock) {
  std::string error;
  if (!declare_catalog(engine, demo_catalog(), &error)) {
    std::fprintf(stderr, "stockd: demo catalog: %s\n", error.c_str());
    return;
  }
  if (!get_stock_blocking(engine, demo_skus().front()).positions.empty()) return;
  std::vector<Event> opening = demo_opening_events(clock.now());
  const size_t count = opening.size();
  apply_events_blocking(engine, std::move(opening));
  std::printf("stockd: demo retailer loaded (%zu SKUs, 9 locations, %zu opening facts)\n",
              demo_skus().size(), count);
}

}  // namespace

int run_serve(const ServeOptions& options) {
  HttpServerOptions http;
  if (!split_listen(options.listen, http.address, http.port)) {
    std::fprintf(stderr, "stockd: --listen must be ADDRESS:PORT, got '%s'\n",
                 options.listen.c_str());
    return 2;
  }
  http.io_threads = options.io_threads;
  http.body_bytes_max = options.body_bytes_max;
  http.read_timeout_seconds = options.read_timeout_seconds;
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    std::fprintf(stderr, "stockd: --tls-cert and --tls-key go together\n");
    return 2;
  }
  http.tls_cert_file = options.tls_cert_file;
  http.tls_key_file = options.tls_key_file;

  FileConfig config;
  std::string error;
  if (!options.config_path.empty() && !load_config_file(options.config_path, config, &error)) {
    std::fprintf(stderr, "stockd: %s\n", error.c_str());
    return 2;
  }
  RocksStoreOptions store_options;
  store_options.data_dir = options.data_dir;
  store_options.idempotency_retention = std::chrono::seconds{config.idempotency_retention_seconds};
  store_options.block_cache_bytes = static_cast<size_t>(config.store_block_cache_mb) << 20;
  store_options.memtables_bytes_max = static_cast<size_t>(config.store_memtables_mb) << 20;
  auto store = RocksStore::open(store_options, &error);
  if (!store) {
    std::fprintf(stderr, "stockd: %s\n", error.c_str());
    return 2;
  }
  SystemClock clock;
  EngineOptions engine_settings = engine_options(config);
  if (options.shards != 0 && !engine_settings.log_driven) engine_settings.shards = options.shards;
  auto engine = Engine::open(*store, clock, engine_settings, &error);
  if (!engine) {
    std::fprintf(stderr, "stockd: %s\n", error.c_str());
    return 2;
  }
  // Single-node: the file's catalog is declared now. In cluster mode it goes through the
  // configuration topic once the node has joined (below), so every node applies it.
  if (config.cluster.bootstrap.empty() && !declare_catalog(*engine, config, &error)) {
    std::fprintf(stderr, "stockd: %s: %s\n", options.config_path.c_str(), error.c_str());
    return 2;
  }
  // Cluster mode: commands go through the Kafka log before they are applied.
  std::unique_ptr<ClusterNode> cluster;
  if (!config.cluster.bootstrap.empty()) {
    ClusterOptions cluster_options;
    cluster_options.bootstrap = config.cluster.bootstrap;
    cluster_options.node_id = static_cast<uint32_t>(config.cluster.node_id);
    // Until the server has bound its port (below), when stockd.toml names none.
    cluster_options.advertised_address = config.cluster.advertised_address.empty()
                                             ? options.listen
                                             : config.cluster.advertised_address;
    cluster_options.partitions = static_cast<uint32_t>(config.cluster.partitions);
    cluster_options.commands_topic = config.cluster.commands_topic;
    cluster_options.replies_topic = config.cluster.replies_topic;
    cluster_options.members_topic = config.cluster.members_topic;
    cluster_options.config_topic = config.cluster.config_topic;
    cluster_options.group_id = config.cluster.group_id;
    cluster_options.session_timeout_ms = static_cast<int>(config.cluster.session_timeout_ms);
    cluster_options.request_timeout_ms = static_cast<int>(config.cluster.request_timeout_ms);
    cluster_options.tick_ms = static_cast<int>(config.cluster.tick_ms);
    cluster = std::make_unique<ClusterNode>(*engine, clock, cluster_options);
    if (Status status = cluster->start(); !status.is_ok()) {
      std::fprintf(stderr, "stockd: %s\n", status.message().c_str());
      return 2;
    }
    engine->set_command_log(cluster.get());
    if (!declare_catalog(*engine, config, &error)) {
      std::fprintf(stderr, "stockd: %s: %s\n", options.config_path.c_str(), error.c_str());
      return 2;
    }
    std::printf("stockd: cluster node %u over %s (%u partitions of %s)\n", cluster_options.node_id,
                cluster_options.bootstrap.c_str(), cluster_options.partitions,
                cluster_options.commands_topic.c_str());
  }
  TokenStore tokens(*store, clock);
  if (Status status = tokens.load(); !status.is_ok()) {
    std::fprintf(stderr, "stockd: %s\n", status.message().c_str());
    return 2;
  }
  std::string demo_token;
  if (const char* seeded = std::getenv("STOCKD_ADMIN_TOKEN"); seeded != nullptr && *seeded) {
    tokens.seed_admin(seeded);
  } else if (options.demo) {
    // A fresh admin token for this demo run only, never stored.
    demo_token =
        "demo-" + std::to_string(std::random_device{}()) + std::to_string(std::random_device{}());
    tokens.seed_admin(demo_token);
  }
  if (options.demo) load_demo(*engine, clock);

  ApiOptions api_options;
  api_options.rate_per_second = options.rate_limit_per_second;
  api_options.rate_burst = options.rate_limit_burst;
  api_options.token_unused_days = options.token_review_days;
  api_options.route_cents_per_km = options.route_cents_per_km;
  Api api(*engine, tokens, clock, api_options);
  WebhookOptions webhook_options;
  webhook_options.retry_base = std::chrono::milliseconds{config.webhooks.retry_base_ms};
  webhook_options.retry_cap = std::chrono::milliseconds{config.webhooks.retry_cap_ms};
  webhook_options.breaker_failures = static_cast<uint32_t>(config.webhooks.breaker_failures);
  webhook_options.breaker_open = std::chrono::milliseconds{config.webhooks.breaker_open_ms};
  webhook_options.pending_max = static_cast<size_t>(config.webhooks.pending_max);
  webhook_options.default_sync_latency =
      std::chrono::milliseconds{config.webhooks.default_sync_latency_ms};
  webhook_options.secret_overlap = std::chrono::seconds{config.webhooks.secret_overlap_seconds};
  WebhookService webhooks(*engine, *store, clock, api.context().health, api.context().alerts,
                          webhook_options);
  if (Status status = webhooks.start(); !status.is_ok()) {
    std::fprintf(stderr, "stockd: %s\n", status.message().c_str());
    return 2;
  }
  api.context().webhooks = &webhooks;
  api.context().cluster = cluster.get();

  KafkaOptions kafka_options;
  kafka_options.brokers = config.kafka.brokers;
  kafka_options.consume_topic = config.kafka.consume_topic;
  kafka_options.group_id = config.kafka.group_id;
  kafka_options.produce_topic = config.kafka.produce_topic;
  kafka_options.produce_stock_changes = config.kafka.produce_stock_changes;
  kafka_options.properties = config.kafka.properties;
  kafka_options.cdc = config.kafka.cdc;
  std::unique_ptr<KafkaProducer> kafka_producer;
  std::unique_ptr<KafkaConsumer> kafka_consumer;
  if (!kafka_options.brokers.empty() && !kafka_options.produce_topic.empty()) {
    kafka_producer = std::make_unique<KafkaProducer>(*engine, *store, kafka_options);
    if (Status status = kafka_producer->start(); !status.is_ok()) {
      std::fprintf(stderr, "stockd: %s\n", status.message().c_str());
      return 2;
    }
    webhooks.add_outbox_consumer([producer = kafka_producer.get()] { return producer->cursors(); });
    std::printf("stockd: publishing to kafka topic %s\n", kafka_options.produce_topic.c_str());
  }
  if (!kafka_options.brokers.empty() &&
      (!kafka_options.consume_topic.empty() || !kafka_options.cdc.empty())) {
    kafka_consumer = std::make_unique<KafkaConsumer>(*engine, kafka_options);
    if (Status status = kafka_consumer->start(); !status.is_ok()) {
      std::fprintf(stderr, "stockd: %s\n", status.message().c_str());
      return 2;
    }
    std::string topics = kafka_options.consume_topic;
    for (const CdcMapping& mapping : kafka_options.cdc) {
      topics += (topics.empty() ? "" : ", ") + mapping.topic + " (cdc)";
    }
    std::printf("stockd: consuming kafka topics %s as group %s\n", topics.c_str(),
                kafka_options.group_id.c_str());
  }
  api.context().kafka_consumer = kafka_consumer.get();
  api.context().kafka_producer = kafka_producer.get();
  api.context().store = store.get();
  std::unique_ptr<LiveFeed> live_feed = make_live_feed(api.context(), *store);
  live_feed->start();
  api.context().live = live_feed.get();
  HttpServer server(http, api);
  if (Status status = server.start(); !status.is_ok()) {
    std::fprintf(stderr, "stockd: %s\n", status.message().c_str());
    return 2;
  }
  const std::string base = std::string(http.tls() ? "https" : "http") + "://" + http.address + ":" +
                           std::to_string(server.port());
  std::printf("stockd: listening on %s\n", base.c_str());
  if (cluster && config.cluster.advertised_address.empty()) {
    cluster->set_advertised_address(http.address + ":" + std::to_string(server.port()));
  }
  std::printf("stockd: dashboard at %s/ (API described in docs/openapi.yaml)\n", base.c_str());
  if (!demo_token.empty()) {
    std::printf("stockd: demo admin token (this run only): %s\n", demo_token.c_str());
    std::printf("stockd: open the dashboard: %s/#token=%s\n", base.c_str(), demo_token.c_str());
    std::printf("stockd: try: curl -H 'Authorization: Bearer %s' %s/v1/stock/%s\n",
                demo_token.c_str(), base.c_str(), demo_skus().front().c_str());
  }
  std::fflush(stdout);

  std::atomic<bool> live_running{options.demo_events_per_second > 0};
  std::thread live;
  if (live_running) {
    live = std::thread([&] {
      std::mt19937_64 random(std::random_device{}());
      uint64_t serial = 0;
      while (live_running) {
        const size_t count =
            static_cast<size_t>(std::max<int64_t>(1, options.demo_events_per_second / 4));
        engine->submit_events(demo_live_events(random, clock.now(), serial, count),
                              [](std::vector<EventResult>) {});
        std::this_thread::sleep_for(std::chrono::milliseconds{250});
      }
    });
  }

  server.wait_for_signal();
  std::printf("stockd: shutting down: no new connections, finishing what was acknowledged\n");
  std::fflush(stdout);
  api.set_draining();
  live_running = false;
  if (live.joinable()) live.join();
  live_feed->stop();  // ends the event streams so their connections close
  server.shutdown(10);
  if (kafka_consumer) kafka_consumer->stop();  // commits what was durably applied
  if (cluster) {
    cluster->stop();  // leaves the group: the partitions move to the other nodes now
    engine->set_command_log(nullptr);
  }
  engine->stop();
  if (kafka_producer) kafka_producer->stop();
  webhooks.stop();
  engine.reset();
  store.reset();
  std::printf("stockd: stopped cleanly\n");
  return 0;
}

}  // namespace stockd
