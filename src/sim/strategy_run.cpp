#include "sim/strategy_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <unordered_map>

#include "base/assert.hpp"
#include "engine/blocking.hpp"
#include "engine/engine.hpp"
#include "storage/rocks_store.hpp"

namespace stockd::sim {
namespace {

constexpr int64_t kSecondMs = 1'000;
constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayMs = 24 * kHourMs;
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr size_t kSubmitChunk = 4'096;
constexpr int kHistoryDays = 7;  // of sales before the day, so velocities are warm
constexpr auto kHoldTtl = std::chrono::hours{48};
constexpr char kVendor[] = "V-1";

std::string_view source_of(LocationKind kind) {
  switch (kind) {
    case LocationKind::warehouse:
      return "wms";
    case LocationKind::store:
      return "pos";
    case LocationKind::dropship:
      return "vendor";
  }
  return "wms";
}

std::string_view condition_name(ReturnCondition condition) {
  switch (condition) {
    case ReturnCondition::resellable:
      return "resellable";
    case ReturnCondition::damaged:
      return "damaged";
    case ReturnCondition::needs_inspection:
      return "needs_inspection";
  }
  return "resellable";
}

bool is_batch(Strategy strategy) {
  return strategy == Strategy::nightly_batch || strategy == Strategy::batch_15min;
}

// A fact waiting to reach stockd.
struct PendingFact {
  int64_t due_ms = 0;
  int64_t occurred_ms = 0;
  Event event;
};

// A channel update on its way to the shoppers.
struct Landing {
  int64_t land_ms = 0;
  int32_t sku = 0;
  int64_t value = 0;
  int64_t changed_ms = 0;  // the first change of this SKU the channel had not seen
};

// An accepted online order, until every piece is picked (or it is backordered).
struct OrderState {
  int64_t accepted_ms = 0;
  int32_t quantity = 0;
  int32_t pieces_open = 0;
  bool short_picked = false;
  bool pickup = false;
  uint8_t channel = 0;
};

struct Pick {
  int64_t due_ms = 0;
  int64_t order = 0;
  int32_t sku = 0;
  int32_t location = 0;
  int32_t quantity = 0;
};

// What stockd last said for each SKU on one channel, and the sync queue to the channel.
struct ChannelState {
  const ChannelSpec* spec = nullptr;
  std::vector<int64_t> displayed;  // per SKU: what shoppers see
  // Real time: the newest value per SKU not yet sent, in the order the SKUs changed.
  std::vector<int64_t> pending_value;
  std::vector<bool> queued;
  std::vector<int64_t> queued_at_ms;
  std::deque<int32_t> queue;
  int64_t next_release_ms = 0;
  int64_t release_interval_ms = 0;  // 0 = no rate limit
  std::deque<Landing> landings;
  std::vector<int32_t> location_indexes;  // the pool
};

class StrategyRun {
 public:
  StrategyRun(const Scenario& scenario, const DayScript& script, Strategy strategy)
      : scenario_(scenario),
        script_(script),
        layout_(script.layout),
        strategy_(strategy),
        clock_(scenario.start - std::chrono::hours{24 * (kHistoryDays + 2)}) {
    scorecard_.strategy = strategy;
    scorecard_.hours.resize(static_cast<size_t>(scenario.hours));
    scorecard_.channels.resize(scenario.channels.size());
    end_ms_ = scenario.hours * kHourMs;
    next_feed_ms_ = is_batch(strategy) ? next_boundary(0) : kNever;
  }

  ~StrategyRun() {
    if (engine_) engine_->stop();
  }

  // The opening store every strategy starts from: the network, the purchase orders and
  // the opening stock with its week of history (no channels yet). Built once.
  bool build_opening(const std::string& dir, std::string* error) {
    clock_.set(at(-kMinuteMs));
    if (!open(dir, error) || !declare_network(error) || !load_opening(error)) return false;
    engine_->stop();
    engine_.reset();
    const Status flushed = store_->flush();
    store_.reset();
    if (!flushed.is_ok()) *error = "the opening store could not be written: " + flushed.message();
    return flushed.is_ok();
  }

  bool run(const std::string& opening_dir, const std::string& work_dir, Scorecard& out,
           std::string* error) {
    std::error_code failed;
    std::filesystem::copy(opening_dir, work_dir, std::filesystem::copy_options::recursive, failed);
    if (failed) {
      *error = work_dir + ": the opening store could not be copied: " + failed.message();
      return false;
    }
    clock_.set(at(0));
    if (!open(work_dir, error) || !declare_channels(error) || !start_day(error)) return false;
    for (const Happening& happening : script_.happenings) {
      advance_to(happening.at_ms);
      if (!error_.empty()) break;
      handle(happening);
    }
    advance_to(end_ms_);
    while (error_.empty() && !picks_.empty()) advance_to(picks_.front().due_ms);
    if (!error_.empty()) {
      *error = std::string(strategy_name(strategy_)) + ": " + error_;
      return false;
    }
    finish();
    out = std::move(scorecard_);
    return true;
  }

 private:
  // ---- set-up ----

  bool open(const std::string& work_dir, std::string* error) {
    RocksStoreOptions store_options;
    store_options.data_dir = work_dir;
    store_options.sync_writes = false;
    store_options.scratch = true;
    store_options.verify_checksums_at_open = false;  // written moments ago by this process
    store_ = RocksStore::open(store_options, error);
    if (!store_) return false;
    EngineOptions options;
    options.shards = 1;
    options.random_seed = scenario_.seed + 1;
    options.idempotency_retention = std::chrono::hours{24 * 30};
    engine_ = Engine::open(*store_, clock_, options, error);
    return engine_ != nullptr;
  }

  bool check(const ConfigCheck& result, const std::string& what, std::string* error) {
    if (result.ok()) return true;
    *error =
        fmt::format("{}: refused ({}: {})", what, config_error_name(result.error), result.field);
    return false;
  }

  bool declare_network(std::string* error) {
    for (int64_t at = 0; at < layout_.locations(); ++at) {
      Location location;
      location.id = layout_.location_ids[at];
      switch (layout_.location_kinds[at]) {
        case LocationKind::warehouse:
          location.type = LocationType::warehouse;
          break;
        case LocationKind::store:
          location.type = LocationType::store;
          location.protected_min = scenario_.store_protected_min;
          location.priority = 1;
          break;
        case LocationKind::dropship:
          location.type = LocationType::dropship;
          location.priority = 2;
          break;
      }
      if (!check(engine_->put_location(location), "location " + location.id, error)) return false;
    }
    for (const std::string_view id : {"pos", "wms", "vendor"}) {
      Source source;
      source.id = std::string(id);
      source.priority = 10;
      if (!check(engine_->put_source(source), "source " + source.id, error)) return false;
    }
    // Purchase orders the day's trucks fulfil.
    for (const PurchaseOrderPlan& plan : script_.purchase_orders) {
      PurchaseOrder po;
      po.id = plan.id;
      po.vendor = kVendor;
      po.sku = layout_.sku_ids[plan.sku];
      po.location = layout_.location_ids[plan.location];
      po.quantity = plan.ordered;
      po.expected_at = at(plan.expected_ms);
      std::promise<PurchaseOrderResult> promise;
      engine_->put_purchase_order(
          po, [&promise](PurchaseOrderResult result) { promise.set_value(std::move(result)); });
      const PurchaseOrderResult result = promise.get_future().get();
      if (result.error != PurchaseOrderError::none || result.overloaded) {
        *error = "purchase order " + plan.id + " was refused";
        return false;
      }
    }
    return true;
  }

  // The strategy's channels (buffers only when it uses them) and, for the buffered
  // strategy, announced spikes as promotions.
  bool declare_channels(std::string* error) {
    for (int64_t at = 0; at < layout_.locations(); ++at) {
      location_index_[layout_.location_ids[at]] = static_cast<int32_t>(at);
    }
    const bool buffered = strategy_ == Strategy::realtime_buffered;
    for (const ChannelSpec& spec : scenario_.channels) {
      Channel channel;
      channel.id = spec.id;
      channel.pickup = spec.pickup;
      channel.backorder = spec.backorder;
      channel.reservation_ttl_seconds = std::chrono::seconds(kHoldTtl).count();
      if (buffered) {
        channel.buffer_units = spec.buffer_units;
        channel.sync_latency_seconds =
            spec.sync_latency_seconds +
            (spec.updates_per_minute > 0 ? 60 / spec.updates_per_minute : 0);
      }
      ChannelState state;
      state.spec = &spec;
      for (int64_t at = 0; at < layout_.locations(); ++at) {
        const LocationKind kind = layout_.location_kinds[at];
        if (kind == LocationKind::store && spec.pool != PoolKind::all) continue;
        channel.locations.push_back(
            {layout_.location_ids[at], kind == LocationKind::store ? 1 : 0});
        state.location_indexes.push_back(static_cast<int32_t>(at));
      }
      if (!check(engine_->put_channel(channel), "channel " + channel.id, error)) return false;
      const size_t skus = static_cast<size_t>(layout_.skus);
      state.displayed.assign(skus, 0);
      state.pending_value.assign(skus, 0);
      state.queued.assign(skus, false);
      state.queued_at_ms.assign(skus, 0);
      if (spec.updates_per_minute > 0) {
        state.release_interval_ms = std::max<int64_t>(1, kMinuteMs / spec.updates_per_minute);
      }
      channels_.push_back(std::move(state));
      channel_index_[spec.id] = static_cast<int>(channels_.size() - 1);
    }
    // Announced spikes are promotions: the buffered strategy widens buffers while they run.
    if (buffered) {
      for (const SpikeSpec& spike : scenario_.spikes) {
        if (!spike.announced) continue;
        for (const std::string& channel : spike.channels) {
          for (int64_t rank = spike.sku_first_rank; rank < spike.sku_first_rank + spike.sku_count;
               ++rank) {
            Promotion promotion;
            promotion.id = fmt::format("sim-{}-{}-{}", channel, rank + 1, promotions_++);
            promotion.sku = layout_.sku_ids[rank];
            promotion.channel = channel;
            promotion.from = at(static_cast<int64_t>(spike.start_hour * kHourMs));
            promotion.to = at(static_cast<int64_t>((spike.start_hour + spike.hours) * kHourMs));
            promotion.expected_uplift = std::min(kPromotionUpliftMax, spike.multiplier - 1);
            if (!check(engine_->put_promotion(promotion), "promotion " + promotion.id, error)) {
              return false;
            }
          }
        }
      }
    }
    return true;
  }

  // Opening stock with a week of sales behind it: a receipt eight days ago, a week of
  // daily sales, and a count of the opening stock just before the day starts.
  bool load_opening(std::string* error) {
    std::mt19937_64 random(scenario_.seed ^ 0x9e3779b97f4a7c15ULL);
    std::uniform_real_distribution<double> fraction(0, 1);
    std::vector<Event> events;
    const auto flush = [&]() {
      for (size_t from = 0; from < events.size(); from += kSubmitChunk) {
        std::vector<Event> chunk(events.begin() + static_cast<std::ptrdiff_t>(from),
                                 events.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                      events.size(), from + kSubmitChunk)));
        for (const EventResult& result : apply_events_blocking(*engine_, std::move(chunk))) {
          if (result.status == EventStatus::rejected) {
            *error = "opening fact " + result.id +
                     " was refused: " + std::string(event_error_name(result.error));
            return false;
          }
        }
      }
      events.clear();
      return true;
    };
    clock_.set(at(-kMinuteMs));
    for (int32_t sku = 0; sku < layout_.skus; ++sku) {
      for (int32_t location = 0; location < layout_.locations(); ++location) {
        if (!layout_.stocks(sku, location)) continue;
        const int64_t position = script_.position(sku, location);
        const int64_t opening = script_.opening[position];
        const double daily = script_.daily_demand[position];
        if (opening == 0 && daily < 0.05) continue;
        const std::string_view source = source_of(layout_.location_kinds[location]);
        std::vector<int64_t> history;
        int64_t sold = 0;
        for (int day = 0; day < kHistoryDays; ++day) {
          history.push_back(static_cast<int64_t>(std::floor(daily + fraction(random))));
          sold += history.back();
        }
        const auto fact = [&](EventType type, int64_t quantity, int64_t at_ms) {
          Event event;
          event.id = fmt::format("open-{}", ++serial_);
          event.source = std::string(source);
          event.type = type;
          event.sku = layout_.sku_ids[sku];
          event.location = layout_.location_ids[location];
          event.quantity = quantity;
          event.occurred_at = at(at_ms);
          events.push_back(std::move(event));
        };
        if (opening + sold > 0) {
          fact(EventType::receipt, opening + sold, -(kHistoryDays + 1) * kDayMs);
        }
        for (int day = 0; day < kHistoryDays; ++day) {
          if (history[day] > 0) {
            fact(EventType::sale, history[day], -(kHistoryDays - day) * kDayMs + 12 * kHourMs);
          }
        }
        fact(EventType::count, opening, -2 * kMinuteMs);
        if (events.size() >= kSubmitChunk * 4 && !flush()) return false;
      }
    }
    return flush();
  }

  // The day begins: the shelves hold the opening stock, and each channel shows what
  // stockd would sell on it (as if its last feed had just run).
  bool start_day(std::string* error) {
    physical_ = script_.opening;
    clock_ms_ = 0;
    outbox_cursor_ = store_->outbox_head(0);
    const std::shared_ptr<const Catalog> catalog = engine_->catalog();
    std::string sku_now;
    std::map<std::string, Position, std::less<>> positions;
    const auto show = [&]() {
      if (sku_now.empty()) return;
      const int32_t sku = sku_index(sku_now);
      for (ChannelState& channel : channels_) {
        AvailabilityRequest request;
        request.now = at(0);
        request.sku = sku_now;
        channel.displayed[sku] = channel_availability(
                                     *catalog->find_channel(channel.spec->id), *catalog,
                                     [&](std::string_view location) -> const Position* {
                                       const auto found = positions.find(location);
                                       return found == positions.end() ? nullptr : &found->second;
                                     },
                                     request)
                                     .total;
      }
      positions.clear();
    };
    const Status read = store_->for_each_position(
        [&](std::string_view sku, std::string_view location, const Position& position) {
          if (sku != sku_now) {
            show();
            sku_now = std::string(sku);
          }
          positions.emplace(std::string(location), position);
          ++scorecard_.positions;
        });
    show();
    if (!read.is_ok()) {
      *error = "the opening positions could not be read: " + read.message();
      return false;
    }
    return true;
  }

  // ---- time ----

  Timestamp at(int64_t ms) const { return scenario_.start + std::chrono::milliseconds(ms); }

  // The next batch boundary strictly after `ms` (batch strategies).
  int64_t next_boundary(int64_t ms) const {
    if (strategy_ == Strategy::batch_15min) {
      const int64_t period = scenario_.batch_minutes * kMinuteMs;
      return (ms / period + 1) * period;
    }
    const int64_t offset = scenario_.nightly_batch_hour * kHourMs;
    int64_t day = (ms - offset) >= 0 ? (ms - offset) / kDayMs + 1 : 0;
    return day * kDayMs + offset;
  }

  int64_t next_vendor_feed(int64_t ms) const {
    if (is_batch(strategy_)) return next_boundary(ms);
    const int64_t period = scenario_.dropship_feed_minutes * kMinuteMs;
    return (ms / period + 1) * period;
  }

  // When a fact from `kind` that occurred at `ms` reaches stockd.
  int64_t due_for(int64_t ms, LocationKind kind) const {
    if (kind == LocationKind::dropship) return next_vendor_feed(ms);
    if (is_batch(strategy_)) return next_boundary(ms);
    const int64_t lag_ms =
        (kind == LocationKind::store ? scenario_.pos_lag_seconds : scenario_.wms_lag_seconds) *
        kSecondMs;
    if (lag_ms == 0) return ms;
    return ((ms + lag_ms + kSecondMs - 1) / kSecondMs) * kSecondMs;  // one-second posts
  }

  int64_t next_timer() const {
    int64_t next = kNever;
    for (const auto& queue : facts_) {
      if (!queue.empty()) next = std::min(next, queue.front().due_ms);
    }
    for (const ChannelState& channel : channels_) {
      if (!channel.landings.empty()) next = std::min(next, channel.landings.front().land_ms);
      if (!channel.queue.empty() && !is_batch(strategy_)) {
        next = std::min(
            next, std::max(channel.next_release_ms, channel.queued_at_ms[channel.queue.front()]));
      }
    }
    if (!picks_.empty()) next = std::min(next, picks_.front().due_ms);
    if (is_batch(strategy_)) next = std::min(next, next_feed_ms_);
    if (!vendor_changed_.empty()) next = std::min(next, next_vendor_feed_ms_);
    if (next_hour_ms_ <= end_ms_) next = std::min(next, next_hour_ms_);
    return next;
  }

  void advance_to(int64_t ms) {
    for (int64_t next = next_timer(); next <= ms && error_.empty(); next = next_timer()) {
      now_ms_ = next;
      set_clock(next);
      if (!vendor_changed_.empty() && next_vendor_feed_ms_ <= next) vendor_feed();
      deliver_due();
      if (is_batch(strategy_) && next_feed_ms_ <= next) {
        pull_outbox();
        batch_feed();
      }
      release_and_land();
      while (!picks_.empty() && picks_.front().due_ms <= next) {
        const Pick pick = picks_.front();
        picks_.pop_front();
        do_pick(pick);
      }
      if (next_hour_ms_ <= next && next_hour_ms_ <= end_ms_) sample_hour();
    }
    now_ms_ = std::max(now_ms_, ms);
    set_clock(now_ms_);
  }

  // The engine reads the clock when it applies a command: everything sent at the old
  // time must be applied before the clock moves (or the run would depend on timing).
  void set_clock(int64_t ms) {
    if (clock_ms_ == ms) return;
    barrier();
    clock_ms_ = ms;
    clock_.set(at(ms));
  }

  // ---- facts ----

  void record_fact(LocationKind kind, Event event) {
    event.id = fmt::format("f{}", ++serial_);
    event.source = std::string(source_of(kind));
    event.occurred_at = at(now_ms_);
    facts_[static_cast<size_t>(kind)].push_back(
        {due_for(now_ms_, kind), now_ms_, std::move(event)});
  }

  Event fact(EventType type, int32_t sku, int32_t location, int64_t quantity) const {
    Event event;
    event.type = type;
    event.sku = layout_.sku_ids[sku];
    event.location = layout_.location_ids[location];
    event.quantity = quantity;
    return event;
  }

  LocationKind kind_of(int32_t location) const { return layout_.location_kinds[location]; }

  void deliver_due() {
    std::vector<Event> batch;
    for (auto& queue : facts_) {
      while (!queue.empty() && queue.front().due_ms <= now_ms_) {
        fact_lags_.push_back((queue.front().due_ms - queue.front().occurred_ms) / kSecondMs);
        batch.push_back(std::move(queue.front().event));
        queue.pop_front();
      }
    }
    // One command, however large: how the shard would batch several is a matter of
    // timing, and the rows it announces (one per SKU per batch) would depend on it.
    if (batch.empty()) return;
    scorecard_.engine_facts += static_cast<int64_t>(batch.size());
    ++scorecard_.engine_commands;
    outstanding_.fetch_add(1);
    engine_->submit_events(std::move(batch), [this](std::vector<EventResult> results) {
      for (const EventResult& result : results) {
        if (result.status == EventStatus::rejected) {
          async_failed("fact " + result.id +
                       " was refused: " + std::string(event_error_name(result.error)));
        }
      }
      async_done();
    });
  }

  // Facts and commits go to the engine without waiting (one shard applies commands in
  // order, so a later reservation sees them); reads of the store wait for them here.
  void async_done() {
    if (outstanding_.fetch_sub(1) == 1) {
      std::lock_guard lock(async_mutex_);
      async_idle_.notify_all();
    }
  }
  void async_failed(std::string what) {
    std::lock_guard lock(async_mutex_);
    if (async_error_.empty()) async_error_ = std::move(what);
  }
  void barrier() {
    std::unique_lock lock(async_mutex_);
    async_idle_.wait(lock, [this] { return outstanding_.load() == 0; });
    if (!async_error_.empty() && error_.empty()) error_ = async_error_;
  }

  // A vendor's feed: counts of every SKU whose stock moved since the last one.
  void vendor_feed() {
    for (const int64_t position : vendor_changed_) {
      vendor_flag_[position] = false;
      const auto sku = static_cast<int32_t>(position / layout_.locations());
      const auto location = static_cast<int32_t>(position % layout_.locations());
      Event event = fact(EventType::count, sku, location, physical_[position]);
      event.id = fmt::format("f{}", ++serial_);
      event.source = "vendor";
      event.occurred_at = at(now_ms_);
      facts_[static_cast<size_t>(LocationKind::dropship)].push_back(
          {now_ms_, now_ms_, std::move(event)});
    }
    vendor_changed_.clear();
    next_vendor_feed_ms_ = next_vendor_feed(now_ms_);
  }

  // ---- channels ----

  int32_t sku_index(std::string_view id) const {
    int32_t value = 0;
    for (const char c : id.substr(4)) value = value * 10 + (c - '0');
    return value - 1;
  }

  // Reads what stockd announced since the last pull (only the channels' view of stock
  // depends on it, so it runs before every channel decision, feed and report). Each
  // change is queued for its channel at the instant stockd recorded it.
  void pull_outbox() {
    barrier();
    const uint64_t generation = engine_->outbox_generation();
    if (generation == outbox_generation_) return;
    outbox_generation_ = generation;
    std::vector<OutboxRow> rows;
    for (;;) {
      rows.clear();
      if (!store_->read_outbox(0, outbox_cursor_, 4'096, rows).is_ok()) {
        error_ = "the outbox could not be read";
        return;
      }
      if (rows.empty()) break;
      for (const OutboxRow& row : rows) {
        outbox_cursor_ = row.sequence;
        if (row.kind != OutboxKind::availability_changed) continue;
        const auto found = channel_index_.find(row.channel);
        if (found == channel_index_.end()) continue;
        ChannelState& channel = channels_[found->second];
        const int32_t sku = sku_index(row.sku);
        channel.pending_value[sku] = row.available;
        // The lag a channel shows is measured from the first change it has not seen yet
        // (when stockd recorded it): the rows' own fact times depend on how the shard
        // happened to batch commands, the recording times only on the simulation.
        const int64_t recorded_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(row.recorded_at - scenario_.start)
                .count();
        if (!channel.queued[sku]) {
          channel.queued[sku] = true;
          channel.queued_at_ms[sku] = recorded_ms;
          channel.queue.push_back(sku);
        }
      }
    }
    release_and_land();
  }

  void send(ChannelState& channel, int32_t sku, int64_t sent_ms) {
    channel.queued[sku] = false;
    channel.landings.push_back({sent_ms + channel.spec->sync_latency_seconds * kSecondMs, sku,
                                channel.pending_value[sku], channel.queued_at_ms[sku]});
  }

  // Batch strategies: every SKU that changed since the last feed, at once.
  void batch_feed() {
    for (ChannelState& channel : channels_) {
      std::sort(channel.queue.begin(), channel.queue.end());
      for (const int32_t sku : channel.queue) send(channel, sku, now_ms_);
      channel.queue.clear();
    }
    next_feed_ms_ = next_boundary(now_ms_);
  }

  void release_and_land() {
    for (ChannelState& channel : channels_) {
      if (!is_batch(strategy_)) {
        // Each change leaves when the rate limit lets it (never before it happened).
        while (!channel.queue.empty()) {
          const int32_t sku = channel.queue.front();
          const int64_t send_ms = std::max(channel.next_release_ms, channel.queued_at_ms[sku]);
          if (send_ms > now_ms_) break;
          channel.queue.pop_front();
          send(channel, sku, send_ms);
          channel.next_release_ms = send_ms + channel.release_interval_ms;
        }
      }
      while (!channel.landings.empty() && channel.landings.front().land_ms <= now_ms_) {
        const Landing& landing = channel.landings.front();
        channel.displayed[landing.sku] = landing.value;
        channel_lags_.push_back((landing.land_ms - landing.changed_ms) / kSecondMs);
        ++scorecard_.channel_updates;
        channel.landings.pop_front();
      }
    }
  }

  // ---- the world ----

  int64_t truth_for(const ChannelState& channel, int32_t sku) const {
    int64_t units = 0;
    for (const int32_t location : channel.location_indexes) {
      if (!layout_.stocks(sku, location)) continue;
      const int64_t position = script_.position(sku, location);
      int64_t free_units = physical_[position] - awaiting_pick_[position];
      if (kind_of(location) == LocationKind::store) free_units -= scenario_.store_protected_min;
      units += std::max<int64_t>(0, free_units);
    }
    return units;
  }

  void hour_figures_add(int64_t ms, int64_t HourFigures::*field, int64_t amount) {
    const auto hour = static_cast<size_t>(std::min(ms, end_ms_ - 1) / kHourMs);
    scorecard_.hours[hour].*field += amount;
  }

  void lost_or_unmet(uint8_t channel, bool shelf_had_it, int32_t quantity) {
    if (shelf_had_it) {
      ++scorecard_.lost_sales_orders;
      scorecard_.lost_sales_units += quantity;
      scorecard_.channels[channel].lost_sales_units += quantity;
      hour_figures_add(now_ms_, &HourFigures::lost_sales_units, quantity);
    } else {
      ++scorecard_.no_stock_orders;
    }
  }

  ReserveResult reserve(const ChannelState& channel, int32_t sku, int32_t quantity,
                        const std::string& only_location, Fulfilment fulfilment, bool backorder) {
    const std::shared_ptr<const Catalog> catalog = engine_->catalog();
    const Channel* config = catalog->find_channel(channel.spec->id);
    STOCKD_ASSERT(config != nullptr);
    ReserveRequest request;
    request.sku = layout_.sku_ids[sku];
    request.channel = channel.spec->id;
    request.quantity = quantity;
    request.ttl = kHoldTtl;
    request.backorder = backorder;
    request.principal = "simulator";
    request.candidates =
        pool_candidates(*config, *catalog, only_location, std::nullopt, 0, fulfilment,
                        catalog->demand_factor(request.sku, request.channel, clock_.now()));
    ++scorecard_.engine_reservations;
    ++scorecard_.engine_commands;
    return reserve_blocking(*engine_, std::move(request));
  }

  void commit(const std::string& reservation, int64_t order) {
    ++scorecard_.engine_commands;
    outstanding_.fetch_add(1);
    engine_->end_reservation(reservation, ReservationState::committed, fmt::format("o{}", order),
                             [this](ReserveResult result) {
                               if (result.status != ReserveStatus::ok) {
                                 async_failed("a commit was refused");
                               }
                               async_done();
                             });
  }

  int64_t location_of(const Reservation& reservation) const {
    return location_index_.at(reservation.location);
  }

  void handle(const Happening& happening) {
    now_ms_ = happening.at_ms;
    const int32_t sku = happening.sku;
    switch (happening.kind) {
      case HappeningKind::walk_in: {
        const int64_t position = script_.position(sku, happening.location);
        if (physical_[position] >= happening.quantity) {
          physical_[position] -= happening.quantity;
          scorecard_.walk_in_units_sold += happening.quantity;
          record_fact(LocationKind::store,
                      fact(EventType::sale, sku, happening.location, happening.quantity));
        } else {
          scorecard_.walk_in_units_missed += happening.quantity;
        }
        break;
      }
      case HappeningKind::online_order:
        online_order(happening);
        break;
      case HappeningKind::return_item: {
        const int64_t position = script_.position(sku, happening.location);
        if (happening.condition == ReturnCondition::resellable) physical_[position] += 1;
        Event event = fact(EventType::return_, sku, happening.location, 1);
        event.condition = std::string(condition_name(happening.condition));
        record_fact(kind_of(happening.location), std::move(event));
        break;
      }
      case HappeningKind::shrink: {
        const int64_t position = script_.position(sku, happening.location);
        if (physical_[position] > 0) physical_[position] -= 1;
        break;
      }
      case HappeningKind::receipt: {
        const PurchaseOrderPlan& plan = script_.purchase_orders[happening.purchase_order];
        physical_[script_.position(sku, happening.location)] += plan.received;
        Event event = fact(EventType::receipt, sku, happening.location, plan.received);
        event.reference = plan.id;
        record_fact(LocationKind::warehouse, std::move(event));
        break;
      }
      case HappeningKind::count:
        record_fact(LocationKind::store,
                    fact(EventType::count, sku, happening.location,
                         physical_[script_.position(sku, happening.location)]));
        break;
      case HappeningKind::vendor_sale: {
        const int64_t position = script_.position(sku, happening.location);
        if (physical_[position] > 0) {
          physical_[position] -= 1;
          note_vendor_change(position);
        }
        break;
      }
    }
  }

  void note_vendor_change(int64_t position) {
    if (vendor_changed_.empty()) next_vendor_feed_ms_ = next_vendor_feed(now_ms_);
    if (!vendor_flag_[position]) {
      vendor_flag_[position] = true;
      vendor_changed_.push_back(position);
    }
  }

  void online_order(const Happening& happening) {
    pull_outbox();  // the channel shows what has reached it by now
    ChannelState& channel = channels_[happening.channel];
    const int32_t sku = happening.sku;
    const int32_t quantity = happening.quantity;
    if (happening.pickup) {
      const int64_t position = script_.position(sku, happening.location);
      const ReserveResult held =
          reserve(channel, sku, quantity, layout_.location_ids[happening.location],
                  Fulfilment::pickup, false);
      if (held.status != ReserveStatus::ok) {
        lost_or_unmet(happening.channel, physical_[position] >= quantity, quantity);
        return;
      }
      const int64_t order = accept(happening.channel, quantity, true, 1);
      ++scorecard_.pickups_accepted;
      commit(held.reservation.id, order);
      // The store sets a pickup aside at once (a shopper could take the last unit).
      do_pick({now_ms_, order, sku, happening.location, quantity});
      return;
    }
    if (channel.displayed[sku] < quantity) {
      lost_or_unmet(happening.channel, truth_for(channel, sku) >= quantity, quantity);
      return;
    }
    channel.displayed[sku] -= quantity;  // the channel counts its own orders down
    // Allocate, split over nodes when no single node has it all.
    std::vector<Reservation> pieces;
    int32_t left = quantity;
    while (left > 0) {
      const ReserveResult held = reserve(channel, sku, left, "", Fulfilment::ship, false);
      if (held.status == ReserveStatus::ok) {
        pieces.push_back(held.reservation);
        left -= static_cast<int32_t>(held.reservation.quantity);
        continue;
      }
      if (held.status != ReserveStatus::insufficient_stock || held.available <= 0 ||
          held.available >= left) {
        break;
      }
      const ReserveResult part =
          reserve(channel, sku, static_cast<int32_t>(held.available), "", Fulfilment::ship, false);
      if (part.status != ReserveStatus::ok) break;
      pieces.push_back(part.reservation);
      left -= static_cast<int32_t>(part.reservation.quantity);
    }
    if (left > 0) {
      for (const Reservation& piece : pieces) {
        ++scorecard_.engine_commands;
        end_reservation_blocking(*engine_, piece.id, ReservationState::released);
      }
      const int64_t order = accept(happening.channel, quantity, false, 0);
      if (channel.spec->backorder) {
        const ReserveResult later = reserve(channel, sku, quantity, "", Fulfilment::ship, true);
        if (later.status == ReserveStatus::ok) {
          commit(later.reservation.id, order);
          ++scorecard_.orders_backordered;
          return;
        }
      }
      ++scorecard_.canceled_oversold;
      ++scorecard_.channels[happening.channel].orders_canceled;
      scorecard_.oversold_units += quantity;
      hour_figures_add(now_ms_, &HourFigures::oversold_orders, 1);
      return;
    }
    const int64_t order =
        accept(happening.channel, quantity, false, static_cast<int32_t>(pieces.size()));
    for (const Reservation& piece : pieces) {
      commit(piece.id, order);
      const auto location = static_cast<int32_t>(location_of(piece));
      const auto units = static_cast<int32_t>(piece.quantity);
      if (kind_of(location) == LocationKind::store) {
        do_pick({now_ms_, order, sku, location, units});  // a store picks at once
      } else {
        awaiting_pick_[script_.position(sku, location)] += units;
        picks_.push_back(
            {now_ms_ + scenario_.pick_delay_minutes * kMinuteMs, order, sku, location, units});
      }
    }
  }

  int64_t accept(uint8_t channel, int32_t quantity, bool pickup, int32_t pieces) {
    ++scorecard_.orders_accepted;
    ++scorecard_.channels[channel].orders_accepted;
    orders_.push_back({now_ms_, quantity, pieces, false, pickup, channel});
    return static_cast<int64_t>(orders_.size() - 1);
  }

  void do_pick(const Pick& pick) {
    const int64_t position = script_.position(pick.sku, pick.location);
    OrderState& order = orders_[pick.order];
    const LocationKind kind = kind_of(pick.location);
    if (kind != LocationKind::store) awaiting_pick_[position] -= pick.quantity;
    STOCKD_ASSERT(awaiting_pick_[position] >= 0);
    const std::string order_id = fmt::format("o{}", pick.order);
    if (physical_[position] >= pick.quantity) {
      physical_[position] -= pick.quantity;
      Event event = fact(EventType::shipment, pick.sku, pick.location, pick.quantity);
      event.reference = order_id;
      record_fact(kind, std::move(event));
    } else {
      // Short at the shelf: the line is canceled and the picker's count corrects stockd.
      order.short_picked = true;
      Event cancel = fact(EventType::cancellation, pick.sku, pick.location, pick.quantity);
      cancel.reason = "oversold";
      cancel.reference = order_id;
      record_fact(kind, std::move(cancel));
      record_fact(kind, fact(EventType::count, pick.sku, pick.location, physical_[position]));
    }
    if (kind == LocationKind::dropship) note_vendor_change(position);
    STOCKD_ASSERT(order.pieces_open > 0);
    if (--order.pieces_open > 0) return;
    if (!order.short_picked) {
      ++scorecard_.orders_fulfilled;
      if (order.pickup) ++scorecard_.pickups_ready;
      return;
    }
    if (order.pickup) {
      ++scorecard_.canceled_pickup_unavailable;
    } else {
      ++scorecard_.canceled_not_found;
    }
    ++scorecard_.channels[order.channel].orders_canceled;
    scorecard_.oversold_units += order.quantity;
    hour_figures_add(order.accepted_ms, &HourFigures::oversold_orders, 1);
  }

  // ---- measuring ----

  int64_t variance_now(int64_t* positions_off) {
    barrier();
    int64_t units = 0;
    int64_t off = 0;
    std::vector<bool> seen(physical_.size(), false);
    const Status status = store_->for_each_position(
        [&](std::string_view sku, std::string_view location, const Position& position) {
          const auto found = location_index_.find(std::string(location));
          if (found == location_index_.end()) return;
          const int64_t index = script_.position(sku_index(sku), found->second);
          seen[index] = true;
          const int64_t gap = std::llabs(position.on_hand - physical_[index]);
          units += gap;
          off += gap != 0 ? 1 : 0;
        });
    if (!status.is_ok()) error_ = "positions could not be read";
    for (size_t index = 0; index < physical_.size(); ++index) {
      if (!seen[index] && physical_[index] != 0) {
        units += std::llabs(physical_[index]);
        ++off;
      }
    }
    if (positions_off != nullptr) *positions_off = off;
    return units;
  }

  void sample_hour() {
    const auto hour = static_cast<size_t>(next_hour_ms_ / kHourMs - 1);
    int64_t positions_off = 0;
    scorecard_.hours[hour].variance_units = variance_now(&positions_off);
    if (next_hour_ms_ == end_ms_) {
      scorecard_.variance_units = scorecard_.hours[hour].variance_units;
      scorecard_.variance_positions = positions_off;
    }
    next_hour_ms_ += kHourMs;
  }

  void finish() {
    pull_outbox();
    // Facts and updates still travelling at the end count with the lag they will have.
    for (const auto& queue : facts_) {
      for (const PendingFact& pending : queue) {
        fact_lags_.push_back((pending.due_ms - pending.occurred_ms) / kSecondMs);
      }
    }
    for (const ChannelState& channel : channels_) {
      for (const Landing& landing : channel.landings) {
        channel_lags_.push_back((landing.land_ms - landing.changed_ms) / kSecondMs);
      }
      const int64_t sent_ms = is_batch(strategy_) ? next_feed_ms_ : now_ms_;
      for (const int32_t sku : channel.queue) {
        channel_lags_.push_back(
            (sent_ms + channel.spec->sync_latency_seconds * kSecondMs - channel.queued_at_ms[sku]) /
            kSecondMs);
      }
    }
    scorecard_.fact_lag = lag_figures(std::move(fact_lags_));
    scorecard_.channel_lag = lag_figures(std::move(channel_lags_));
    STOCKD_ASSERT(scorecard_.orders_accepted == scorecard_.orders_fulfilled +
                                                    scorecard_.orders_canceled() +
                                                    scorecard_.orders_backordered);
  }

  const Scenario& scenario_;
  const DayScript& script_;
  const Layout& layout_;
  const Strategy strategy_;
  ManualClock clock_;
  std::unique_ptr<RocksStore> store_;
  std::unique_ptr<Engine> engine_;
  Scorecard scorecard_;
  std::string error_;

  int64_t end_ms_ = 0;
  int64_t now_ms_ = 0;
  int64_t clock_ms_ = 0;
  int64_t next_hour_ms_ = kHourMs;
  int64_t next_feed_ms_ = 0;
  int64_t next_vendor_feed_ms_ = 0;
  uint64_t serial_ = 0;
  uint64_t promotions_ = 0;
  std::unordered_map<std::string, int32_t> location_index_;
  std::unordered_map<std::string, int> channel_index_;
  std::vector<ChannelState> channels_;
  std::vector<int64_t> physical_ = std::vector<int64_t>(script_.opening.size(), 0);
  std::vector<int64_t> awaiting_pick_ = std::vector<int64_t>(script_.opening.size(), 0);
  std::array<std::deque<PendingFact>, 3> facts_;  // by LocationKind
  std::deque<Pick> picks_;                        // by due time (constant pick delay)
  std::vector<OrderState> orders_;
  std::vector<int64_t> vendor_changed_;  // positions at vendors since their last feed
  std::vector<bool> vendor_flag_ = std::vector<bool>(script_.opening.size(), false);
  uint64_t outbox_generation_ = 0;
  uint64_t outbox_cursor_ = 0;
  std::vector<int64_t> fact_lags_;
  std::vector<int64_t> channel_lags_;
  std::atomic<int64_t> outstanding_{0};  // facts and commits the engine has not answered
  std::mutex async_mutex_;
  std::condition_variable async_idle_;
  std::string async_error_;  // guarded by async_mutex_
};

}  // namespace

bool build_opening_store(const Scenario& scenario, const DayScript& script, const std::string& dir,
                         std::string* error) {
  StrategyRun run(scenario, script, Strategy::realtime);
  return run.build_opening(dir, error);
}

bool run_strategy(const Scenario& scenario, const DayScript& script, Strategy strategy,
                  const std::string& opening_dir, const std::string& work_dir, Scorecard& out,
                  std::string* error) {
  StrategyRun run(scenario, script, strategy);
  return run.run(opening_dir, work_dir, out, error);
}

}  // namespace stockd::sim
