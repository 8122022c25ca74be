#include "sync/webhook_service.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <deque>
#include <random>

#include <boost/json.hpp>

#include "base/assert.hpp"
#include "sync/cloud_event.hpp"
#include "sync/delivery_queue.hpp"
#include "sync/http_client.hpp"
#include "sync/signature.hpp"

namespace stockd {
namespace {

constexpr std::string_view kSubscriptionPrefix = "webhook/";
constexpr std::string_view kCursorPrefix = "webhook-cursor/";
constexpr std::string_view kDeadLetterPrefix = "webhook-dlq/";
constexpr size_t kReadRowsMax = 1'000;
constexpr auto kIdleWait = std::chrono::milliseconds{100};
constexpr auto kCleanEvery = std::chrono::seconds{5};

std::string encode_dead_letter(const DeadLetter& letter) {
  return boost::json::serialize(boost::json::object{{"event_id", letter.event_id},
                                                    {"type", letter.type},
                                                    {"subject", letter.subject},
                                                    {"attempts", letter.attempts},
                                                    {"last_error", letter.last_error},
                                                    {"dead_at_us", micros_of(letter.dead_at)},
                                                    {"body", letter.body}});
}

std::optional<DeadLetter> decode_dead_letter(std::string_view json) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(json, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  try {
    const auto& in = parsed.as_object();
    DeadLetter letter;
    letter.event_id = in.at("event_id").as_string();
    letter.type = in.at("type").as_string();
    letter.subject = in.at("subject").as_string();
    letter.attempts = in.at("attempts").to_number<uint32_t>();
    letter.last_error = in.at("last_error").as_string();
    letter.dead_at = timestamp_from_micros(in.at("dead_at_us").to_number<int64_t>());
    letter.body = in.at("body").as_string();
    return letter;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string random_id(std::string_view prefix) {
  static std::mutex mutex;
  static std::mt19937_64 random{std::random_device{}()};
  std::lock_guard lock(mutex);
  char buffer[32];
  const int length =
      std::snprintf(buffer, sizeof buffer, "%.*s%016llx", static_cast<int>(prefix.size()),
                    prefix.data(), static_cast<unsigned long long>(random()));
  return std::string(buffer, static_cast<size_t>(length));
}

// Retry-After: delay-seconds (an HTTP-date is treated as absent).
std::optional<Duration> parse_retry_after(std::string_view value) {
  int64_t seconds = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (value.empty() || error != std::errc{} || end != value.data() + value.size() || seconds < 0) {
    return std::nullopt;
  }
  return std::chrono::seconds{std::min<int64_t>(seconds, 3600)};
}

}  // namespace

// One subscription's deliveries: a reader thread fills the conflated queue from the
// outbox and saves the cursor; `concurrency` sender threads, each with its own
// connection, deliver what is due (never one key twice at once).
class WebhookService::Worker {
 public:
  Worker(WebhookService& service, WebhookSubscription subscription, std::vector<uint64_t> cursors)
      : service_(service),
        subscription_(std::move(subscription)),
        queue_(std::move(cursors)),
        breaker_(service.options_.breaker_failures, Duration(service.options_.breaker_open)),
        random_(std::random_device{}()) {
    std::string error;
    target_ = parse_http_url(subscription_.url, &error);
    status_.cursors = queue_.durable_cursors();
    saved_cursors_ = status_.cursors;
    if (subscription_.wants_stock_changes()) service_.engine_.want_stock_changes(true);
  }
  ~Worker() {
    stop();
    if (subscription_.wants_stock_changes()) service_.engine_.want_stock_changes(false);
  }

  void start() {
    reader_ = std::thread([this] { read_loop(); });
    const uint32_t senders = std::max<uint32_t>(1, subscription_.concurrency);
    for (uint32_t i = 0; i < senders; ++i) senders_.emplace_back([this] { send_loop(); });
  }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_ && !reader_.joinable()) return;
      stopping_ = true;
    }
    wake_.notify_all();
    if (reader_.joinable()) reader_.join();
    for (std::thread& sender : senders_) {
      if (sender.joinable()) sender.join();
    }
    save_cursors();
  }
  // Forgets its stored cursor and dead letters (the subscription was deleted).
  void erase_records() {
    Store& store = service_.store_;
    (void)store.delete_aux(std::string(kCursorPrefix) + id_);
    std::vector<std::string> keys;
    (void)store.for_each_aux(dead_letter_prefix(), [&](std::string_view key, std::string_view) {
      keys.emplace_back(key);
    });
    for (const std::string& key : keys) (void)store.delete_aux(key);
  }

  WebhookSubscription subscription() const {
    std::lock_guard lock(mutex_);
    return subscription_;
  }
  void set_subscription(WebhookSubscription subscription) {
    std::lock_guard lock(mutex_);
    subscription_ = std::move(subscription);
  }
  WebhookStatus status() const {
    std::lock_guard lock(mutex_);
    WebhookStatus out = status_;
    out.pending = queue_.size();
    out.oldest_pending_since = queue_.oldest_queued_at();
    out.circuit = std::string(circuit_state_name(breaker_.state(service_.clock_.now())));
    out.conflated = queue_.conflated_total();
    out.cursors = saved_cursors_;
    return out;
  }
  size_t queue_replays(std::vector<DeadLetter> letters) {
    size_t queued = 0;
    {
      std::lock_guard lock(mutex_);
      for (DeadLetter& letter : letters) {
        replays_.push_back(std::move(letter));
        ++queued;
      }
    }
    wake_.notify_all();
    return queued;
  }
  std::string dead_letter_prefix() const { return std::string(kDeadLetterPrefix) + id_ + "/"; }

 private:
  struct Attempt {
    bool delivered = false;
    bool gone = false;  // 410: the receiver asks us to stop
    std::optional<Duration> retry_after;
    std::string error;
  };

  // Reads new outbox rows into the queue while it has room, and saves the cursor.
  void read_loop() {
    uint64_t generation = service_.engine_.outbox_generation();
    while (true) {
      {
        std::unique_lock lock(mutex_);
        if (stopping_) return;
        if (subscription_.enabled && target_) fill(lock);
      }
      wake_.notify_all();
      save_cursors();
      generation = service_.engine_.wait_outbox(generation, kIdleWait);
    }
  }

  // Called with the lock held; reads without it.
  void fill(std::unique_lock<std::mutex>& lock) {
    const WebhookSubscription subscription = subscription_;
    for (uint32_t shard = 0; shard < queue_.shard_count(); ++shard) {
      while (queue_.size() < service_.options_.pending_max) {
        const uint64_t after = queue_.read_position(shard);
        std::vector<OutboxRow> rows;
        lock.unlock();
        const Status status = service_.store_.read_outbox(shard, after, kReadRowsMax, rows);
        lock.lock();
        if (!status.is_ok()) {
          std::fprintf(stderr, "stockd: webhook %s: cannot read the outbox: %s\n",
                       subscription.id.c_str(), status.message().c_str());
          break;
        }
        const Timestamp now = service_.clock_.now();
        for (const OutboxRow& row : rows) queue_.offer(row, subscription.wants(row), now);
        if (rows.size() < kReadRowsMax) break;
      }
    }
  }

  void send_loop() {
    HttpClient client;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (!subscription_.enabled || !target_) {
        wake_.wait_for(lock, kIdleWait);
        continue;
      }
      const WebhookSubscription subscription = subscription_;
      if (!replays_.empty()) {
        DeadLetter letter = std::move(replays_.front());
        replays_.pop_front();
        lock.unlock();
        const Attempt attempt = send(client, subscription, letter.event_id, letter.body);
        if (attempt.delivered) {
          (void)service_.store_.delete_aux(dead_letter_prefix() + letter.event_id);
        }
        lock.lock();
        record(subscription, attempt);
        continue;
      }
      const Timestamp now = service_.clock_.now();
      if (!queue_.ready(now)) {
        Duration wait = kIdleWait;
        if (const auto due = queue_.next_due(); due && *due > now)
          wait = std::min(wait, *due - now);
        wake_.wait_for(lock, std::max<Duration>(wait, std::chrono::milliseconds{1}));
        continue;
      }
      if (!take_token(subscription.rate_per_second)) {
        wake_.wait_for(lock, std::chrono::milliseconds{5});
        continue;
      }
      if (!breaker_.allows(now)) {
        const Duration wait = std::min<Duration>(breaker_.open_until() - now, kIdleWait);
        wake_.wait_for(lock, std::max<Duration>(wait, std::chrono::milliseconds{1}));
        continue;
      }
      const std::optional<DeliveryClaim> claim = queue_.claim(now);
      STOCKD_ASSERT(claim.has_value());  // ready() said so, under the same lock
      const std::string event_id = outbox_event_id(claim->row);
      const std::string body = cloud_event_json(claim->row);
      lock.unlock();
      const Attempt attempt = send(client, subscription, event_id, body);
      std::optional<DeadLetter> letter;
      if (!attempt.delivered && !attempt.gone && claim->attempts + 1 >= subscription.max_attempts) {
        letter = DeadLetter{event_id,
                            std::string(outbox_kind_type(claim->row.kind)),
                            claim->row.sku,
                            claim->attempts + 1,
                            attempt.error,
                            service_.clock_.now(),
                            body};
        const Status stored =
            service_.store_.put_aux(dead_letter_prefix() + event_id, encode_dead_letter(*letter));
        if (!stored.is_ok()) letter.reset();  // not stored: retried rather than lost
      }
      lock.lock();
      complete(subscription, *claim, attempt, letter.has_value());
      wake_.notify_all();
    }
  }

  // With the lock held: what one attempt means for the queue, the breaker and the stats.
  void complete(const WebhookSubscription& subscription, const DeliveryClaim& claim,
                const Attempt& attempt, bool dead_lettered) {
    const Timestamp now = service_.clock_.now();
    record(subscription, attempt);
    if (claim.attempts > 0) status_.retries += 1;
    if (attempt.delivered) {
      status_.last_lag_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(now - claim.row.recorded_at)
              .count();
      if (claim.row.kind == OutboxKind::availability_changed) {
        status_.delivery_lag_seconds_by_channel.try_emplace(claim.row.channel, Histogram::seconds())
            .first->second.observe(std::max<double>(
                0, std::chrono::duration<double>(now - claim.row.recorded_at).count()));
      }
      queue_.succeeded(claim, now);
      return;
    }
    if (attempt.gone) {
      queue_.failed(claim, now, attempt.error);  // kept: a new subscription may want it
      return;
    }
    if (dead_lettered) {
      queue_.remove(claim);
      status_.dead_lettered += 1;
      return;
    }
    const Duration delay =
        attempt.retry_after
            ? *attempt.retry_after
            : retry_delay(claim.attempts + 1, service_.options_.retry_base,
                          service_.options_.retry_cap,
                          std::uniform_real_distribution<double>(0.0, 1.0)(random_));
    queue_.failed(claim, now + delay, attempt.error);
  }

  // With the lock held: counters, the breaker, and 410.
  void record(const WebhookSubscription& subscription, const Attempt& attempt) {
    const Timestamp now = service_.clock_.now();
    if (attempt.delivered) {
      breaker_.success();
      status_.delivered += 1;
      status_.last_delivered_at = now;
      return;
    }
    if (attempt.gone) {
      if (subscription_.enabled) disable(subscription, "the receiver answered 410 Gone");
      return;
    }
    breaker_.failure(now);
    status_.failed_attempts += 1;
    status_.last_error = attempt.error;
  }

  Attempt send(HttpClient& client, const WebhookSubscription& subscription,
               const std::string& event_id, const std::string& body) {
    const Timestamp now = service_.clock_.now();
    const int64_t timestamp = micros_of(now) / 1'000'000;
    const std::vector<std::pair<std::string, std::string>> headers = {
        {"webhook-id", event_id},
        {"webhook-timestamp", std::to_string(timestamp)},
        {"webhook-signature",
         webhook_signature(event_id, timestamp, body, subscription.signing_keys(now))},
        {"content-type", "application/cloudevents+json"},
    };
    const ClientResponse response =
        client.post(*target_, headers, body, std::chrono::milliseconds{subscription.timeout_ms});
    Attempt attempt;
    if (response.status >= 200 && response.status < 300) {
      attempt.delivered = true;
    } else if (response.status == 410) {
      attempt.gone = true;
      attempt.error = "410 Gone";
    } else if (response.status != 0) {
      attempt.error = "HTTP " + std::to_string(response.status);
      if (response.status == 429 || response.status == 503) {
        attempt.retry_after = parse_retry_after(response.retry_after);
      }
    } else {
      attempt.error = response.error;
    }
    return attempt;
  }

  // With the lock held.
  bool take_token(double rate_per_second) {
    if (rate_per_second <= 0) return true;
    const auto now = std::chrono::steady_clock::now();
    const double burst = std::max(1.0, rate_per_second);
    if (!bucket_started_) {
      tokens_ = burst;
      bucket_started_ = true;
    } else {
      const double seconds = std::chrono::duration<double>(now - refilled_at_).count();
      tokens_ = std::min(burst, tokens_ + seconds * rate_per_second);
    }
    refilled_at_ = now;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

  // With the lock held.
  void disable(const WebhookSubscription& subscription, std::string reason) {
    WebhookSubscription changed = subscription;
    changed.enabled = false;
    changed.disabled_reason = reason;
    (void)service_.save(changed);
    subscription_ = changed;
    service_.alerts_.raise(
        "webhook_disabled:" + changed.id, "webhook_disabled", AlertSeverity::critical,
        "webhook " + changed.id + " (" + changed.url + ") was disabled: " + reason,
        service_.clock_.now(),
        "ask the receiver's owner; subscribe again (POST /v1/webhooks) once it wants events");
  }

  void save_cursors() {
    std::vector<uint64_t> cursors;
    {
      std::lock_guard lock(mutex_);
      cursors = queue_.durable_cursors();
      if (cursors == saved_cursors_) return;
    }
    const Status status = service_.store_.put_aux_unsynced(std::string(kCursorPrefix) + id_,
                                                           encode_outbox_cursors(cursors));
    if (!status.is_ok()) return;
    std::lock_guard lock(mutex_);
    saved_cursors_ = cursors;
  }

  WebhookService& service_;
  mutable std::mutex mutex_;  // guards everything below but the threads
  std::condition_variable wake_;
  WebhookSubscription subscription_;
  const std::string id_ = subscription_.id;
  WebhookStatus status_;
  std::deque<DeadLetter> replays_;
  bool stopping_ = false;
  std::optional<HttpTarget> target_;
  DeliveryQueue queue_;
  CircuitBreaker breaker_;
  std::mt19937_64 random_;
  std::vector<uint64_t> saved_cursors_;
  bool bucket_started_ = false;
  double tokens_ = 0;
  std::chrono::steady_clock::time_point refilled_at_;
  std::thread reader_;
  std::vector<std::thread> senders_;
};

WebhookService::WebhookService(Engine& engine, Store& store, const Clock& clock,
                               ChannelHealth& health, AlertBook& alerts, WebhookOptions options)
    : engine_(engine),
      store_(store),
      clock_(clock),
      health_(health),
      alerts_(alerts),
      options_(options) {}

WebhookService::~WebhookService() { stop(); }

Status WebhookService::save(const WebhookSubscription& subscription) {
  return store_.put_aux(std::string(kSubscriptionPrefix) + subscription.id,
                        encode_subscription(subscription));
}

Status WebhookService::start() {
  std::vector<WebhookSubscription> stored;
  bool corrupt = false;
  Status status =
      store_.for_each_aux(kSubscriptionPrefix, [&](std::string_view, std::string_view value) {
        auto subscription = decode_subscription(value);
        if (!subscription) {
          corrupt = true;
          return;
        }
        stored.push_back(std::move(*subscription));
      });
  if (!status.is_ok()) return status;
  if (corrupt) return Status::error("store is corrupt: unreadable webhook subscription");
  {
    std::lock_guard lock(mutex_);
    for (WebhookSubscription& subscription : stored) {
      std::vector<uint64_t> cursors;
      const auto saved = store_.get_aux(std::string(kCursorPrefix) + subscription.id);
      const auto decoded =
          saved ? decode_outbox_cursors(*saved, engine_.shard_count()) : std::nullopt;
      if (decoded) {
        cursors = *decoded;
      } else {
        // No cursor yet (or the shard count changed): from the current head.
        cursors = engine_.outbox_heads();
      }
      const std::string id = subscription.id;
      auto worker = std::make_unique<Worker>(*this, std::move(subscription), std::move(cursors));
      worker->start();
      workers_.emplace(id, std::move(worker));
    }
  }
  monitor_ = std::thread([this] { monitor(); });
  return Status::ok();
}

void WebhookService::stop() {
  {
    std::lock_guard lock(monitor_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  monitor_wake_.notify_all();
  if (monitor_.joinable()) monitor_.join();
  std::lock_guard lock(mutex_);
  for (auto& [id, worker] : workers_) worker->stop();
}

WebhookError WebhookService::create(WebhookSubscription& draft, std::string* error_detail) {
  if (!parse_http_url(draft.url, error_detail)) return WebhookError::invalid_url;
  draft.id = random_id("wh_");
  draft.created_at = clock_.now();
  draft.enabled = true;
  draft.disabled_reason.clear();
  if (draft.secrets.empty()) draft.secrets.push_back({new_webhook_secret(), Timestamp{}});
  std::vector<uint64_t> cursors = engine_.outbox_heads();
  if (Status status =
          store_.put_aux(std::string(kCursorPrefix) + draft.id, encode_outbox_cursors(cursors));
      !status.is_ok()) {
    *error_detail = status.message();
    return WebhookError::invalid_url;
  }
  if (Status status = save(draft); !status.is_ok()) {
    *error_detail = status.message();
    return WebhookError::invalid_url;
  }
  std::lock_guard lock(mutex_);
  auto worker = std::make_unique<Worker>(*this, draft, std::move(cursors));
  worker->start();
  workers_.emplace(draft.id, std::move(worker));
  return WebhookError::none;
}

std::vector<WebhookView> WebhookService::list() const {
  std::lock_guard lock(mutex_);
  std::vector<WebhookView> views;
  for (const auto& [id, worker] : workers_)
    views.push_back({worker->subscription(), worker->status()});
  return views;
}

std::optional<WebhookView> WebhookService::get(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto found = workers_.find(id);
  if (found == workers_.end()) return std::nullopt;
  return WebhookView{found->second->subscription(), found->second->status()};
}

bool WebhookService::remove(const std::string& id) {
  std::unique_ptr<Worker> worker;
  {
    std::lock_guard lock(mutex_);
    const auto found = workers_.find(id);
    if (found == workers_.end()) return false;
    worker = std::move(found->second);
    workers_.erase(found);
  }
  worker->stop();
  (void)store_.delete_aux(std::string(kSubscriptionPrefix) + id);
  worker->erase_records();
  alerts_.clear("webhook_disabled:" + id, clock_.now());
  return true;
}

std::optional<WebhookSubscription> WebhookService::rotate_secret(const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto found = workers_.find(id);
  if (found == workers_.end()) return std::nullopt;
  WebhookSubscription subscription = found->second->subscription();
  const Timestamp now = clock_.now();
  std::erase_if(subscription.secrets, [&](const WebhookSecret& secret) {
    return secret.expires_at != Timestamp{} && secret.expires_at <= now;
  });
  for (WebhookSecret& secret : subscription.secrets) {
    if (secret.expires_at == Timestamp{}) secret.expires_at = now + options_.secret_overlap;
  }
  subscription.secrets.insert(subscription.secrets.begin(), {new_webhook_secret(), Timestamp{}});
  if (!save(subscription).is_ok()) return std::nullopt;
  found->second->set_subscription(subscription);
  return subscription;
}

std::optional<std::vector<DeadLetter>> WebhookService::dead_letters(const std::string& id) const {
  std::string prefix;
  {
    std::lock_guard lock(mutex_);
    const auto found = workers_.find(id);
    if (found == workers_.end()) return std::nullopt;
    prefix = found->second->dead_letter_prefix();
  }
  std::vector<DeadLetter> letters;
  (void)store_.for_each_aux(prefix, [&](std::string_view, std::string_view value) {
    if (auto letter = decode_dead_letter(value)) letters.push_back(std::move(*letter));
  });
  std::sort(letters.begin(), letters.end(),
            [](const DeadLetter& a, const DeadLetter& b) { return a.dead_at < b.dead_at; });
  return letters;
}

std::optional<size_t> WebhookService::replay(const std::string& id, const std::string& event_id) {
  auto letters = dead_letters(id);
  if (!letters) return std::nullopt;
  if (!event_id.empty()) {
    std::erase_if(*letters, [&](const DeadLetter& letter) { return letter.event_id != event_id; });
  }
  std::lock_guard lock(mutex_);
  const auto found = workers_.find(id);
  if (found == workers_.end()) return std::nullopt;
  return found->second->queue_replays(std::move(*letters));
}

void WebhookService::add_outbox_consumer(std::function<std::vector<uint64_t>()> cursors) {
  std::lock_guard lock(mutex_);
  consumers_.push_back(std::move(cursors));
}

void WebhookService::monitor() {
  auto cleaned_at = std::chrono::steady_clock::now();
  while (true) {
    {
      std::unique_lock lock(monitor_mutex_);
      monitor_wake_.wait_for(lock, options_.monitor_interval, [&] { return stopping_; });
      if (stopping_) return;
    }
    update_degraded(clock_.now());
    if (std::chrono::steady_clock::now() - cleaned_at >= kCleanEvery) {
      clean_outbox();
      cleaned_at = std::chrono::steady_clock::now();
    }
  }
}

void WebhookService::update_degraded(Timestamp now) {
  const std::vector<WebhookView> views = list();
  const std::shared_ptr<const Catalog> catalog = engine_.catalog();
  for (const auto& [channel_id, channel] : catalog->channels()) {
    const Duration allowed = channel.sync_latency_seconds > 0
                                 ? Duration(std::chrono::seconds{channel.sync_latency_seconds})
                                 : options_.default_sync_latency;
    std::string reason;
    for (const WebhookView& view : views) {
      if (!view.subscription.enabled || !view.subscription.covers_channel(channel_id)) continue;
      if (view.status.circuit != "closed") {
        reason = "webhook " + view.subscription.id + " is failing (circuit " + view.status.circuit +
                 ": " + view.status.last_error + ")";
        break;
      }
      if (view.status.oldest_pending_since && now - *view.status.oldest_pending_since > allowed) {
        const auto behind_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   now - *view.status.oldest_pending_since)
                                   .count();
        reason = "webhook " + view.subscription.id + " is " + std::to_string(behind_ms) +
                 " ms behind (allowed " +
                 std::to_string(std::chrono::duration_cast<std::chrono::seconds>(allowed).count()) +
                 " s)";
        break;
      }
    }
    const std::string key = "channel_degraded:" + channel_id;
    if (!reason.empty()) {
      health_.set_degraded(channel_id, now, reason);
      alerts_.raise(key, "channel_degraded", AlertSeverity::critical,
                    "channel " + channel_id + " is degraded: " + reason, now,
                    "check the receiver of the failing webhook; until it catches up the channel "
                    "sells with its degraded buffer");
    } else if (health_.clear(channel_id)) {
      alerts_.clear(key, now);
    }
  }
  // Channels that no longer exist are not degraded.
  for (const auto& [channel_id, degradation] : health_.all()) {
    if (catalog->find_channel(channel_id) == nullptr && health_.clear(channel_id)) {
      alerts_.clear("channel_degraded:" + channel_id, now);
    }
  }
}

void WebhookService::clean_outbox() {
  std::vector<uint64_t> through = engine_.outbox_heads();
  std::vector<std::function<std::vector<uint64_t>()>> consumers;
  {
    std::lock_guard lock(mutex_);
    consumers = consumers_;
    for (const auto& [id, worker] : workers_) {
      if (!worker->subscription().enabled) continue;
      const std::vector<uint64_t> cursors = worker->status().cursors;
      for (size_t i = 0; i < through.size() && i < cursors.size(); ++i) {
        through[i] = std::min(through[i], cursors[i]);
      }
    }
  }
  for (const auto& cursors_of : consumers) {
    const std::vector<uint64_t> cursors = cursors_of();
    for (size_t i = 0; i < through.size() && i < cursors.size(); ++i) {
      through[i] = std::min(through[i], cursors[i]);
    }
  }
  for (uint32_t shard = 0; shard < through.size(); ++shard) {
    if (through[shard] > 0) (void)store_.delete_outbox_through(shard, through[shard]);
  }
}

}  // namespace stockd
