// Webhook deliveries from the outbox: one worker thread per subscription reads the
// outbox from its durable cursor, conflates per (SKU, channel), signs each delivery the
// Standard Webhooks way, honours a per-destination rate, Retry-After and a circuit
// breaker, retries with exponential backoff and jitter, dead-letters after
// max_attempts, and disables the subscription on 410. A monitor marks channels
// degraded (and raises alerts) while their destination fails or lags, and drops outbox
// rows every consumer has passed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/histogram.hpp"
#include "engine/channel_health.hpp"
#include "engine/engine.hpp"
#include "engine/store.hpp"
#include "observability/alerts.hpp"
#include "sync/webhook_subscription.hpp"

namespace stockd {

struct WebhookOptions {
  Duration retry_base = std::chrono::seconds{1};
  Duration retry_cap = std::chrono::minutes{10};
  uint32_t breaker_failures = 5;  // consecutive failures that open the circuit
  Duration breaker_open = std::chrono::seconds{30};
  size_t pending_max = 100'000;  // conflated entries held in memory per subscription
  Duration secret_overlap = std::chrono::hours{24};  // a rotated-out secret keeps signing
  // A channel whose destination lags more than this is degraded when the channel itself
  // sets no sync_latency_seconds.
  Duration default_sync_latency = std::chrono::seconds{60};
  Duration monitor_interval = std::chrono::milliseconds{250};
};

struct WebhookStatus {
  size_t pending = 0;
  std::optional<Timestamp> oldest_pending_since;
  std::string circuit = "closed";
  uint64_t delivered = 0;
  uint64_t failed_attempts = 0;
  uint64_t dead_lettered = 0;
  uint64_t conflated = 0;
  std::string last_error;
  std::optional<Timestamp> last_delivered_at;
  int64_t last_lag_ms = -1;  // recorded → acknowledged, of the last delivery
  std::vector<uint64_t> cursors;
  // Durable write → acknowledged delivery, per channel (availability events).
  std::map<std::string, Histogram> delivery_lag_seconds_by_channel;
  uint64_t retries = 0;  // attempts after the first, per event
};

struct WebhookView {
  WebhookSubscription subscription;
  WebhookStatus status;
};

struct DeadLetter {
  std::string event_id;
  std::string type;
  std::string subject;
  uint32_t attempts = 0;
  std::string last_error;
  Timestamp dead_at{};
  std::string body;  // the CloudEvent as it was sent
};

enum class WebhookError : uint8_t { none, invalid_url, not_found };

class WebhookService {
 public:
  WebhookService(Engine& engine, Store& store, const Clock& clock, ChannelHealth& health,
                 AlertBook& alerts, WebhookOptions options = {});
  ~WebhookService();
  WebhookService(const WebhookService&) = delete;
  WebhookService& operator=(const WebhookService&) = delete;

  // Loads stored subscriptions and starts their workers and the monitor.
  Status start();
  void stop();

  // Assigns id, secret (unless one is given) and the starting cursor (the outbox head:
  // a new subscription gets changes from now on). `error_detail` explains a refusal.
  WebhookError create(WebhookSubscription& draft, std::string* error_detail);
  std::vector<WebhookView> list() const;
  std::optional<WebhookView> get(const std::string& id) const;
  bool remove(const std::string& id);
  // A new current secret; the old ones keep signing for `secret_overlap`.
  std::optional<WebhookSubscription> rotate_secret(const std::string& id);
  std::optional<std::vector<DeadLetter>> dead_letters(const std::string& id) const;
  // Queues dead letters for redelivery (all, or one event id); how many were queued.
  std::optional<size_t> replay(const std::string& id, const std::string& event_id);

  // Other outbox consumers (the Kafka producer) whose cursors hold rows back.
  void add_outbox_consumer(std::function<std::vector<uint64_t>()> cursors);

 private:
  class Worker;
  void monitor();
  void update_degraded(Timestamp now);
  void clean_outbox();
  Status save(const WebhookSubscription& subscription);

  Engine& engine_;
  Store& store_;
  const Clock& clock_;
  ChannelHealth& health_;
  AlertBook& alerts_;
  const WebhookOptions options_;

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Worker>> workers_;
  std::vector<std::function<std::vector<uint64_t>()>> consumers_;
  std::thread monitor_;
  std::mutex monitor_mutex_;
  std::condition_variable monitor_wake_;
  bool stopping_ = false;
};

}  // namespace stockd
