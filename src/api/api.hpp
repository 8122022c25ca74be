// The HTTP API v1 (DESIGN §4): routing, authentication, scopes, rate limiting and
// problem+json errors in front of the engine. Knows nothing of sockets: the server
// hands it HttpRequests. Thread-safety: handle() may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include "api/auth.hpp"
#include "api/http_types.hpp"
#include "api/rate_limiter.hpp"
#include "engine/channel_health.hpp"
#include "engine/engine.hpp"
#include "observability/alerts.hpp"

namespace stockd {

struct ApiOptions {
  double rate_per_second = 2000;  // per token; 0 = no limit
  double rate_burst = 4000;
  size_t batch_events_max = 10'000;
  size_t query_skus_max = 1'000;
  int64_t route_cents_per_km = 2;  // order routing: the distance part of a shipment's cost
  bool access_log = true;          // errors and slow requests, one JSON line each on stderr
  int64_t token_unused_days = 30;  // active tokens idle this long raise a review alert
};

// Idempotency-Keys whose first request is still being processed (for 409 on a retry).
class InflightRequests {
 public:
  bool try_begin(const std::string& key);
  void end(const std::string& key);

 private:
  std::mutex mutex_;
  std::set<std::string> keys_;
};

class PrometheusText;

// Requests by method, route (the pattern, so the label set is bounded) and status code.
class HttpMetrics {
 public:
  void count(std::string_view method, std::string_view route, int status);
  void write(PrometheusText& out) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
};

class WebhookService;
class LiveFeed;
class Store;
class KafkaConsumer;
class KafkaProducer;
class ClusterNode;

// Inbound webhook ids already applied, per source, for the signature tolerance window:
// a replayed request is refused. In memory (a restart forgets them; the events inside
// are idempotent by (source, id) anyway).
class SeenWebhookIds {
 public:
  bool contains(const std::string& key, Timestamp now) const;
  void remember(const std::string& key, Timestamp now);

 private:
  static constexpr size_t kEntriesMax = 1'000'000;
  mutable std::mutex mutex_;
  std::map<std::string, Timestamp> seen_;  // key -> when it stops mattering
};

struct ApiContext {
  ApiContext(Engine& engine, TokenStore& tokens, const Clock& clock, ApiOptions options)
      : engine(engine), tokens(tokens), clock(clock), options(options) {}
  Engine& engine;
  TokenStore& tokens;
  const Clock& clock;
  ApiOptions options;
  InflightRequests inflight;
  std::atomic<bool> draining{false};
  // Sync state: which channels are degraded, alerts, and the webhook service (null when
  // the server runs without it, as in unit tests).
  ChannelHealth health;
  AlertBook alerts;
  WebhookService* webhooks = nullptr;
  KafkaConsumer* kafka_consumer = nullptr;  // null when not configured
  KafkaProducer* kafka_producer = nullptr;
  // Cluster mode (docs/SCALING.md); null in single-node mode, where every route works. In
  // cluster mode the multi-SKU operations are refused (501).
  ClusterNode* cluster = nullptr;
  SeenWebhookIds seen_webhook_ids;
  LiveFeed* live = nullptr;  // GET /v1/stream
  Store* store = nullptr;    // direct reads (a SKU's recent ledger entries)
  HttpMetrics http_metrics;
};

class Api final : public HttpHandler {
 public:
  Api(Engine& engine, TokenStore& tokens, const Clock& clock, ApiOptions options);
  ~Api() override;
  void handle(HttpRequest request, Respond respond) override;
  // Readiness goes false: load balancers stop sending; requests still get answered.
  void set_draining() { context_->draining = true; }
  ApiContext& context() { return *context_; }

 private:
  std::unique_ptr<ApiContext> context_;
  RateLimiter limiter_;
};

}  // namespace stockd
