#include "engine/engine.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <thread>

#include "base/assert.hpp"
#include "base/limits.hpp"
#include "core/encoding.hpp"
#include "engine/inflight_keys.hpp"
#include "engine/shard.hpp"

namespace stockd {
namespace {

// FNV-1a: stable across processes and builds, so a SKU's slot never moves.
uint64_t fnv1a(std::string_view text) {
  uint64_t hash = 1469598103934665603ull;
  for (const char c : text) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

std::optional<uint32_t> Engine::slot_of_reservation(std::string_view id) {
  // "r" + 4 hex digits of slot + "-" + 16 hex digits.
  if (id.size() != 22 || id[0] != 'r' || id[5] != '-') return std::nullopt;
  uint32_t slot = 0;
  for (size_t i = 1; i < 5; ++i) {
    const char c = id[i];
    uint32_t digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint32_t>(c - 'a' + 10);
    } else {
      return std::nullopt;
    }
    slot = slot * 16 + digit;
  }
  if (slot >= limits::shard_slots) return std::nullopt;
  return slot;
}

namespace {

template <typename Result>
void answer_overloaded(const std::function<void(Result)>& done) {
  Result result;
  result.status = ReserveStatus::overloaded;
  done(std::move(result));
}

}  // namespace

std::string log_checkpoint_key(uint32_t partition) {
  char buffer[32];
  const int length = std::snprintf(buffer, sizeof buffer, "cluster/applied/%04u", partition);
  return std::string(buffer, static_cast<size_t>(length));
}

std::string encode_log_checkpoint(const LogCheckpoint& checkpoint) {
  return std::to_string(checkpoint.next_offset) + " " +
         std::to_string(micros_of(checkpoint.log_time));
}

std::optional<LogCheckpoint> decode_log_checkpoint(std::string_view bytes) {
  const size_t space = bytes.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  uint64_t next_offset = 0;
  int64_t micros = 0;
  const char* end = bytes.data() + bytes.size();
  const auto first = std::from_chars(bytes.data(), bytes.data() + space, next_offset);
  const auto second = std::from_chars(bytes.data() + space + 1, end, micros);
  if (first.ec != std::errc{} || first.ptr != bytes.data() + space || second.ec != std::errc{} ||
      second.ptr != end) {
    return std::nullopt;
  }
  return LogCheckpoint{next_offset, timestamp_from_micros(micros)};
}

uint32_t Engine::slot_of(std::string_view sku) {
  return static_cast<uint32_t>(fnv1a(sku) % limits::shard_slots);
}

Engine::Engine(Store& store, const Clock& clock, EngineOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      inflight_(std::make_unique<InflightKeys>()),
      coordinator_queue_(std::make_unique<BoundedQueue<std::function<void()>>>(1024)) {}

std::unique_ptr<Engine> Engine::open(Store& store, const Clock& clock, EngineOptions options,
                                     std::string* error) {
  if (options.shards == 0) options.shards = std::max(1u, std::thread::hardware_concurrency());
  if (options.shards > limits::shards_max) {
    *error = "shards must be at most " + std::to_string(limits::shards_max);
    return nullptr;
  }
  if (options.queue_commands_max == 0 ||
      options.queue_commands_max > limits::shard_queue_commands_max) {
    *error = "queue_commands_max out of range";
    return nullptr;
  }
  if (options.batch_commands_max == 0 ||
      options.batch_commands_max > limits::shard_batch_commands_max) {
    *error = "batch_commands_max out of range";
    return nullptr;
  }
  std::unique_ptr<Engine> engine(new Engine(store, clock, options));

  auto catalog = std::make_shared<Catalog>();
  if (Status status = store.load_catalog(*catalog); !status.is_ok()) {
    *error = status.message();
    return nullptr;
  }
  engine->catalog_.store(std::move(catalog));

  for (uint32_t i = 0; i < options.shards; ++i) {
    engine->shards_.push_back(std::make_unique<Shard>(*engine, i, store.chain_head(i)));
  }
  // Positions: one loader thread per core, each scanning the family and decoding only its
  // shards' positions (a shard is loaded by one thread), so millions load in parallel.
  Status status = Status::ok();
  {
    const size_t threads =
        std::clamp<size_t>(std::thread::hardware_concurrency(), 1, engine->shards_.size());
    std::vector<Status> loaded(threads, Status::ok());
    std::vector<std::thread> loaders;
    for (size_t t = 0; t < threads; ++t) {
      loaders.emplace_back([&, t] {
        loaded[t] = store.for_each_position_where(
            [&](std::string_view sku) { return engine->shard_of(sku) % threads == t; },
            [&](std::string_view sku, std::string_view location, const Position& position) {
              engine->shard_for_sku(sku).load_position(sku, location, position);
            });
      });
    }
    for (std::thread& loader : loaders) loader.join();
    for (const Status& each : loaded) {
      if (!each.is_ok() && status.is_ok()) status = each;
    }
  }
  if (status.is_ok()) {
    status = store.for_each_purchase_order(
        [&](const PurchaseOrder& po) { engine->shard_for_sku(po.sku).load_purchase_order(po); });
  }
  if (status.is_ok()) {
    status = store.for_each_published([&](std::string_view sku, std::string_view channel,
                                          const PublishedAvailability& published) {
      engine->shard_for_sku(sku).load_published(sku, channel, published);
    });
  }
  for (auto& shard : engine->shards_) shard->set_outbox_head(store.outbox_head(shard->index()));
  for (size_t i = 0; status.is_ok() && i < engine->shards_.size(); ++i) {
    const std::optional<std::string> bytes =
        store.get_aux(log_checkpoint_key(static_cast<uint32_t>(i)));
    if (!bytes) continue;
    const std::optional<LogCheckpoint> checkpoint = decode_log_checkpoint(*bytes);
    if (!checkpoint) {
      status = Status::error("undecodable log checkpoint of partition " + std::to_string(i));
    } else if (!options.log_driven) {
      status = Status::error(
          "this store was written in cluster mode (log checkpoints are in it); open it in "
          "cluster mode");
    } else {
      engine->shards_[i]->set_log_checkpoint(*checkpoint);
    }
  }
  if (status.is_ok()) {
    status = store.for_each_active_reservation([&](const Reservation& reservation) {
      engine->shard_for_sku(reservation.sku).load_reservation(reservation);
    });
  }
  if (status.is_ok()) {
    Status decoded = Status::ok();
    status =
        store.for_each_aux(kAllocationKeyPrefix, [&](std::string_view key, std::string_view value) {
          const std::optional<AllocationProgress> progress = decode_allocation_progress(value);
          if (!progress) {
            decoded = Status::error("undecodable order allocation " + std::string(key));
            return;
          }
          engine->shard_for_sku(progress->sku).load_allocation(*progress);
        });
    if (status.is_ok()) status = decoded;
  }
  if (status.is_ok()) {
    status = store.for_each_aux(kAsnKeyPrefix, [&](std::string_view, std::string_view value) {
      if (std::optional<Asn> asn = decode_asn(value); asn && !asn->purchase_order_id.empty()) {
        engine->asn_purchase_orders_[asn->id] = asn->purchase_order_id;
      }
    });
  }
  if (status.is_ok()) {
    status =
        store.for_each_aux(kStockExceptionPrefix, [&](std::string_view, std::string_view value) {
          if (std::optional<StockException> exception = decode_stock_exception(value);
              exception && !exception->resolved) {
            engine->open_exceptions_.fetch_add(1);
          }
        });
  }
  for (size_t i = 0; status.is_ok() && i < engine->shards_.size(); ++i) {
    status = engine->shards_[i]->check_loaded_state();
  }
  if (!status.is_ok()) {
    *error = status.message();
    return nullptr;
  }
  for (auto& shard : engine->shards_) shard->start();
  engine->coordinator_ = std::thread([raw = engine.get()] { raw->run_coordinator(); });
  return engine;
}

Engine::~Engine() { stop(); }

void Engine::notify_outbox() {
  {
    std::lock_guard lock(outbox_mutex_);
    ++outbox_generation_;
  }
  outbox_changed_.notify_all();
}

uint64_t Engine::outbox_generation() const {
  std::lock_guard lock(outbox_mutex_);
  return outbox_generation_;
}

uint64_t Engine::wait_outbox(uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(outbox_mutex_);
  outbox_changed_.wait_for(lock, timeout, [&] { return outbox_generation_ != seen; });
  return outbox_generation_;
}

std::vector<uint64_t> Engine::outbox_heads() {
  std::vector<uint64_t> heads;
  for (uint32_t i = 0; i < shards_.size(); ++i) heads.push_back(store_.outbox_head(i));
  return heads;
}

void Engine::stop() {
  if (stopped_.exchange(true)) return;
  // Group operations first: they need running shards to pause.
  coordinator_queue_->force_push(std::function<void()>{});
  if (coordinator_.joinable()) coordinator_.join();
  for (auto& shard : shards_) shard->push_stop();
  for (auto& shard : shards_) shard->join();
}

Shard& Engine::shard_for_sku(std::string_view sku) {
  return *shards_[slot_of(sku) % shards_.size()];
}

Shard* Engine::shard_for_reservation(std::string_view id) {
  const auto slot = slot_of_reservation(id);
  if (!slot) return nullptr;
  return shards_[*slot % shards_.size()].get();
}

void Engine::submit_events(std::vector<Event> events,
                           std::function<void(std::vector<EventResult>)> done) {
  if (CommandLog* log = command_log_.load()) {
    return log->propose_events(std::move(events), std::move(done));
  }
  auto gather = std::make_shared<EventsGather>();
  gather->results.resize(events.size());
  gather->done = std::move(done);
  if (events.empty()) {
    gather->done({});
    return;
  }
  std::vector<EventsCommand> per_shard(shards_.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EventsCommand& command = per_shard[slot_of(events[i].sku) % shards_.size()];
    command.indices.push_back(static_cast<uint32_t>(i));
    command.events.push_back(std::move(events[i]));
  }
  size_t busy = 0;
  for (const EventsCommand& command : per_shard) busy += command.events.empty() ? 0 : 1;
  // One extra count, released below, so no shard can finish the gather while we are
  // still handing out commands.
  gather->shards_remaining.store(busy + 1);
  for (size_t s = 0; s < per_shard.size(); ++s) {
    EventsCommand& command = per_shard[s];
    if (command.events.empty()) continue;
    command.gather = gather;
    const std::vector<uint32_t> indices = command.indices;
    const std::vector<std::string> ids = [&] {
      std::vector<std::string> out;
      for (const Event& event : command.events) out.push_back(event.id);
      return out;
    }();
    Command item = std::move(command);
    if (stopped_.load() || !shards_[s]->try_push(item)) {
      shards_[s]->stats_.overloaded.fetch_add(1, std::memory_order_relaxed);
      for (size_t k = 0; k < indices.size(); ++k) {
        EventResult& result = gather->results[indices[k]];
        result.id = ids[k];
        result.status = EventStatus::rejected;
        result.error = EventError::overloaded;
      }
      gather->shards_remaining.fetch_sub(1);
    }
  }
  if (gather->shards_remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    gather->done(std::move(gather->results));
  }
}

void Engine::reserve(ReserveRequest request, std::function<void(ReserveResult)> done) {
  if (CommandLog* log = command_log_.load()) {
    return log->propose_reserve(std::move(request), std::move(done));
  }
  Shard& shard = shard_for_sku(request.sku);
  Command item = ReserveCommandItem{std::move(request), std::move(done)};
  if (stopped_.load() || !shard.try_push(item)) {
    shard.stats_.overloaded.fetch_add(1, std::memory_order_relaxed);
    answer_overloaded(std::get<ReserveCommandItem>(item).done);
  }
}

void Engine::end_reservation(std::string id, ReservationState to, std::string order_id,
                             std::function<void(ReserveResult)> done, std::string principal) {
  STOCKD_ASSERT(to != ReservationState::active);
  if (CommandLog* log = command_log_.load()) {
    return log->propose_end(std::move(id), to, std::move(order_id), std::move(principal),
                            std::move(done));
  }
  Shard* shard = shard_for_reservation(id);
  if (shard == nullptr) {
    ReserveResult result;
    result.status = ReserveStatus::reservation_not_found;
    done(std::move(result));
    return;
  }
  Command item = EndReservationCommand{std::move(id), to, std::move(order_id), std::move(principal),
                                       std::move(done)};
  if (stopped_.load() || !shard->try_push(item)) {
    shard->stats_.overloaded.fetch_add(1, std::memory_order_relaxed);
    answer_overloaded(std::get<EndReservationCommand>(item).done);
  }
}

void Engine::get_reservation(std::string id, std::function<void(ReserveResult)> done) {
  if (CommandLog* log = command_log_.load()) {
    return log->read_reservation(std::move(id), std::move(done));
  }
  read_local_reservation(std::move(id), std::move(done));
}

void Engine::read_local_reservation(std::string id, std::function<void(ReserveResult)> done) {
  Shard* shard = shard_for_reservation(id);
  if (shard == nullptr) {
    ReserveResult result;
    result.status = ReserveStatus::reservation_not_found;
    done(std::move(result));
    return;
  }
  Command item = GetReservationCommand{std::move(id), std::move(done)};
  if (stopped_.load() || !shard->try_push(item)) {
    shard->stats_.overloaded.fetch_add(1, std::memory_order_relaxed);
    answer_overloaded(std::get<GetReservationCommand>(item).done);
  }
}

void Engine::put_purchase_order(PurchaseOrder po, std::function<void(PurchaseOrderResult)> done) {
  Shard& shard = shard_for_sku(po.sku);
  Command item = PutPurchaseOrderCommand{std::move(po), std::move(done)};
  if (stopped_.load() || !shard.try_push(item)) {
    shard.stats_.overloaded.fetch_add(1, std::memory_order_relaxed);
    PurchaseOrderResult result;
    result.overloaded = true;
    std::get<PutPurchaseOrderCommand>(item).done(std::move(result));
  }
}

void Engine::get_stock(std::string sku, std::function<void(StockView)> done) {
  if (CommandLog* log = command_log_.load()) {
    return log->read_stock(std::move(sku), std::move(done));
  }
  read_local_stock(std::move(sku), std::move(done));
}

void Engine::read_local_stock(std::string sku, std::function<void(StockView)> done) {
  Shard& shard = shard_for_sku(sku);
  if (shard.storage_stuck() && !stopped_.load()) {
    // Writes wait for the disk; reads need not: answer from what is durable.
    done(read_durable_stock(std::move(sku)));
    return;
  }
  Command item = GetStockCommand{sku, std::move(done)};
  if (stopped_.load() || !shard.try_push(item)) {
    // A read that cannot be queued answers with what it can promise: nothing stale.
    shard.stats_.overloaded.fetch_add(1, std::memory_order_relaxed);
    StockView view;
    view.sku = std::move(sku);
    view.overloaded = true;
    std::get<GetStockCommand>(item).done(std::move(view));
  }
}

template <typename Item>
bool Engine::push_logged(uint32_t partition, Item& item) {
  STOCKD_ASSERT(options_.log_driven);
  STOCKD_ASSERT(partition < shards_.size());
  Command command = std::move(item);
  Shard& shard = *shards_[partition];
  // A logged command is part of the partition's history: it waits for room (or for a
  // stuck disk), it is never refused for load.
  while (!shard.try_push(command)) {
    if (stopped_.load()) {
      item = std::move(std::get<Item>(command));
      return false;
    }
    std::this_thread::sleep_for(std::chrono::microseconds{200});
  }
  return true;
}

void Engine::apply_logged_events(uint32_t partition, LogStamp stamp, std::vector<Event> events,
                                 std::function<void(std::vector<EventResult>)> done) {
  auto gather = std::make_shared<EventsGather>();
  gather->results.resize(events.size());
  gather->done = std::move(done);
  gather->shards_remaining.store(1);
  EventsCommand command;
  command.log = stamp;
  for (size_t i = 0; i < events.size(); ++i) {
    STOCKD_ASSERT(shard_of(events[i].sku) == partition);
    command.indices.push_back(static_cast<uint32_t>(i));
  }
  command.events = std::move(events);
  command.gather = gather;
  if (!push_logged(partition, command)) {
    for (size_t k = 0; k < command.events.size(); ++k) {
      gather->results[k].id = command.events[k].id;
      gather->results[k].error = EventError::overloaded;
    }
    gather->done(std::move(gather->results));
  }
}

void Engine::apply_logged_reserve(uint32_t partition, LogStamp stamp, ReserveRequest request,
                                  std::function<void(ReserveResult)> done) {
  STOCKD_ASSERT(shard_of(request.sku) == partition);
  ReserveCommandItem command{std::move(request), std::move(done), stamp};
  if (!push_logged(partition, command)) answer_overloaded(command.done);
}

void Engine::apply_logged_end(uint32_t partition, LogStamp stamp, std::string id,
                              ReservationState to, std::string order_id, std::string principal,
                              std::function<void(ReserveResult)> done) {
  STOCKD_ASSERT(to != ReservationState::active);
  STOCKD_ASSERT(shard_for_reservation(id) == shards_[partition].get());
  EndReservationCommand command{std::move(id),   to,   std::move(order_id), std::move(principal),
                                std::move(done), stamp};
  if (!push_logged(partition, command)) answer_overloaded(command.done);
}

void Engine::apply_logged_tick(uint32_t partition, LogStamp stamp) {
  TickCommand command{stamp};
  push_logged(partition, command);
}

LogCheckpoint Engine::log_checkpoint(uint32_t partition) const {
  STOCKD_ASSERT(partition < shards_.size());
  return shards_[partition]->log_checkpoint();
}

StockView Engine::read_durable_stock(std::string sku) {
  durable_state_reads_.fetch_add(1, std::memory_order_relaxed);
  StockView view;
  view.sku = std::move(sku);
  view.from_last_durable_state = true;
  Status status =
      store_.for_each_position_of(view.sku, [&](std::string_view location, const Position& held) {
        if (held.version == 0) return;  // looked at, never changed (as the shard shows it)
        view.positions.push_back({std::string(location), held});
      });
  if (status.is_ok()) {
    status = store_.for_each_purchase_order([&](const PurchaseOrder& po) {
      if (po.sku == view.sku && po_open(po)) view.purchase_orders.push_back(po);
    });
  }
  if (!status.is_ok()) {
    view.positions.clear();
    view.purchase_orders.clear();
    view.overloaded = true;  // nothing could be read: refuse rather than guess
  }
  return view;
}

namespace {

// An entry's configuration kind and stored bytes.
template <typename Entry>
std::pair<ConfigKind, std::string> stored_form(const Entry& entry) {
  if constexpr (std::is_same_v<Entry, Location>) {
    return {ConfigKind::location, encode_location(entry)};
  } else if constexpr (std::is_same_v<Entry, Source>) {
    return {ConfigKind::source, encode_source(entry)};
  } else if constexpr (std::is_same_v<Entry, Channel>) {
    return {ConfigKind::channel, encode_channel(entry)};
  } else if constexpr (std::is_same_v<Entry, Bundle>) {
    return {ConfigKind::bundle, encode_bundle(entry)};
  } else {
    static_assert(std::is_same_v<Entry, Promotion>);
    return {ConfigKind::promotion, encode_promotion(entry)};
  }
}

// Why `id` of `kind` cannot be removed from `catalog` (none when it can): a location a
// channel's pool names is in use; an entry that is not there is not found.
ConfigCheck removal_refusal(const Catalog& catalog, ConfigKind kind, std::string_view id) {
  bool exists = false;
  switch (kind) {
    case ConfigKind::location:
      for (const auto& [channel_id, channel] : catalog.channels()) {
        for (const ChannelLocation& member : channel.locations) {
          if (member.id == id) return {ConfigError::location_in_use, "id"};
        }
      }
      exists = catalog.locations().contains(id);
      break;
    case ConfigKind::source:
      exists = catalog.sources().contains(id);
      break;
    case ConfigKind::channel:
      exists = catalog.channels().contains(id);
      break;
    case ConfigKind::bundle:
      exists = catalog.bundles().contains(id);
      break;
    case ConfigKind::promotion:
      exists = catalog.promotions().contains(id);
      break;
  }
  if (!exists) return {ConfigError::not_found, "id"};
  return {};
}

}  // namespace

template <typename Entry>
ConfigCheck Engine::put_config(Entry entry) {
  if (CommandLog* log = command_log_.load()) {
    // Cluster mode: checked here, applied by every node in the configuration log's order.
    const ConfigCheck check = catalog_.load()->check(entry);
    if (!check.ok()) return check;
    auto [kind, bytes] = stored_form(entry);
    return log->propose_config(kind, entry.id, std::move(bytes));
  }
  return put_config_here(std::move(entry));
}

template <typename Entry>
ConfigCheck Engine::put_config_here(Entry entry) {
  std::lock_guard lock(config_mutex_);
  const std::shared_ptr<const Catalog> current = catalog_.load();
  const ConfigCheck check = current->check(entry);
  if (!check.ok()) return check;
  const auto [kind, bytes] = stored_form(entry);
  if (Status status = store_.put_config(kind, entry.id, bytes); !status.is_ok()) {
    std::fprintf(stderr, "stockd: configuration write failed: %s\n", status.message().c_str());
    std::abort();
  }
  auto next = std::make_shared<Catalog>(*current);
  next->put(std::move(entry));
  catalog_.store(std::move(next));
  return check;
}

ConfigCheck Engine::remove_config(ConfigKind kind, std::string_view id) {
  CommandLog* log = command_log_.load();
  if (log == nullptr) return remove_config_here(kind, id);
  // Cluster mode: refusals are decided on this node's catalog; the removal itself goes
  // through the configuration log.
  if (const ConfigCheck refusal = removal_refusal(*catalog_.load(), kind, id); !refusal.ok()) {
    return refusal;
  }
  return log->propose_config(kind, std::string(id), "");
}

ConfigCheck Engine::apply_logged_config(ConfigKind kind, std::string_view id,
                                        std::string_view bytes) {
  if (bytes.empty()) return remove_config_here(kind, id);
  auto put = [&](auto decoded) -> ConfigCheck {
    if (!decoded || decoded->id != id) return {ConfigError::invalid_id, "id"};
    return put_config_here(std::move(*decoded));
  };
  switch (kind) {
    case ConfigKind::location:
      return put(decode_location(bytes));
    case ConfigKind::source:
      return put(decode_source(bytes));
    case ConfigKind::channel:
      return put(decode_channel(bytes));
    case ConfigKind::bundle:
      return put(decode_bundle(bytes));
    case ConfigKind::promotion:
      return put(decode_promotion(bytes));
  }
  return {ConfigError::invalid_id, "kind"};
}

ConfigCheck Engine::remove_config_here(ConfigKind kind, std::string_view id) {
  std::lock_guard lock(config_mutex_);
  const std::shared_ptr<const Catalog> current = catalog_.load();
  if (const ConfigCheck refusal = removal_refusal(*current, kind, id); !refusal.ok()) {
    return refusal;
  }
  auto next = std::make_shared<Catalog>(*current);
  bool removed = false;
  switch (kind) {
    case ConfigKind::location:
      removed = next->remove_location(id);
      break;
    case ConfigKind::source:
      removed = next->remove_source(id);
      break;
    case ConfigKind::channel:
      removed = next->remove_channel(id);
      // Its promotions go with it.
      for (const auto& [promotion_id, promotion] : current->promotions()) {
        if (promotion.channel != id || !removed) continue;
        next->remove_promotion(promotion_id);
        if (Status status = store_.delete_config(ConfigKind::promotion, promotion_id);
            !status.is_ok()) {
          std::fprintf(stderr, "stockd: configuration write failed: %s\n",
                       status.message().c_str());
          std::abort();
        }
      }
      break;
    case ConfigKind::bundle:
      removed = next->remove_bundle(id);
      break;
    case ConfigKind::promotion:
      removed = next->remove_promotion(id);
      break;
  }
  STOCKD_ASSERT(removed);  // removal_refusal found it
  if (Status status = store_.delete_config(kind, id); !status.is_ok()) {
    std::fprintf(stderr, "stockd: configuration write failed: %s\n", status.message().c_str());
    std::abort();
  }
  catalog_.store(std::move(next));
  return {};
}

ConfigCheck Engine::put_location(Location location) { return put_config(std::move(location)); }
ConfigCheck Engine::put_source(Source source) { return put_config(std::move(source)); }
ConfigCheck Engine::put_channel(Channel channel) { return put_config(std::move(channel)); }
ConfigCheck Engine::put_bundle(Bundle bundle) { return put_config(std::move(bundle)); }
ConfigCheck Engine::put_promotion(Promotion promotion) { return put_config(std::move(promotion)); }

void EngineMetrics::merge(const EngineMetrics& other) {
  for (const auto& [key, count] : other.events) events[key] += count;
  for (const auto& [key, histogram] : other.event_lag_seconds_by_source) {
    auto [it, inserted] = event_lag_seconds_by_source.try_emplace(key, Histogram::seconds());
    it->second.merge(histogram);
  }
  for (const auto& [key, histogram] : other.event_lag_seconds_by_location) {
    auto [it, inserted] = event_lag_seconds_by_location.try_emplace(key, Histogram::seconds());
    it->second.merge(histogram);
  }
  batch_commands.merge(other.batch_commands);
  write_seconds.merge(other.write_seconds);
  availability_changes += other.availability_changes;
}

std::map<std::string, LocationHealth> Engine::location_health() const {
  std::map<std::string, LocationHealth> total;
  for (const auto& shard : shards_) {
    for (const auto& [location, health] : shard->location_health()) {
      LocationHealth& merged = total[location];
      merged.last_event_at = std::max(merged.last_event_at, health.last_event_at);
      merged.last_count_at = std::max(merged.last_count_at, health.last_count_at);
      merged.negative_positions += health.negative_positions;
    }
  }
  return total;
}

int64_t Engine::promises_at_risk_now() const {
  int64_t total = 0;
  for (const auto& shard : shards_) total += shard->promises_at_risk_now();
  return total;
}

EngineMetrics Engine::metrics() const {
  EngineMetrics total;
  for (const auto& shard : shards_) total.merge(shard->metrics());
  return total;
}

EngineStats Engine::stats() const {
  EngineStats total;
  for (const auto& shard : shards_) {
    const ShardStats& s = shard->stats();
    const auto get = [](const std::atomic<uint64_t>& value) {
      return value.load(std::memory_order_relaxed);
    };
    total.events_applied += get(s.events_applied);
    total.events_duplicate += get(s.events_duplicate);
    total.events_superseded += get(s.events_superseded);
    total.events_rejected += get(s.events_rejected);
    total.anomalies += get(s.anomalies);
    total.clock_drift_clamped += get(s.clock_drift_clamped);
    total.reservations_created += get(s.reservations_created);
    total.reservations_committed += get(s.reservations_committed);
    total.reservations_released += get(s.reservations_released);
    total.reservations_expired += get(s.reservations_expired);
    total.reservations_refused += get(s.reservations_refused);
    total.batches_written += get(s.batches_written);
    total.write_micros_total += get(s.write_micros_total);
    total.overloaded += get(s.overloaded);
    total.promises_at_risk += get(s.promises_at_risk);
    for (size_t kind = 0; kind < total.exceptions_detected.size(); ++kind) {
      total.exceptions_detected[kind] += get(s.exceptions_detected[kind]);
    }
    total.queue_depth += shard->queue_depth();
  }
  return total;
}

void Engine::write_until_durable(const WriteSet& set, const std::string& who, Status failure) {
  constexpr auto kBackoffFirst = std::chrono::milliseconds{20};
  constexpr auto kBackoffMax = std::chrono::milliseconds{1000};
  constexpr int kTriesWhenStopping = 5;
  storage_failed(who, failure.message(), true);
  auto backoff = kBackoffFirst;
  int tries_while_stopping = 0;
  for (;;) {
    if (stopped_.load() && ++tries_while_stopping > kTriesWhenStopping) {
      std::fprintf(stderr, "stockd: %s: durable write still failing at shutdown: %s\n", who.c_str(),
                   failure.message().c_str());
      std::abort();
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, kBackoffMax);
    Status status = store_.recover();
    if (status.is_ok()) status = store_.write(set);
    if (status.is_ok()) break;
    failure = status;
    storage_failed(who, failure.message(), false);
  }
  storage_recovered(who);
}

void Engine::write_durably(const WriteSet& set, const std::string& who) {
  if (Status status = store_.write(set); !status.is_ok()) write_until_durable(set, who, status);
}

void Engine::storage_failed(const std::string& who, const std::string& message, bool first) {
  storage_write_failures_.fetch_add(1);
  if (first) degraded_shards_.fetch_add(1);
  std::lock_guard lock(storage_error_mutex_);
  if (first || storage_error_ != message) {
    std::fprintf(stderr, "stockd: %s: durable write failed, retrying: %s\n", who.c_str(),
                 message.c_str());
  }
  storage_error_ = message;
}

void Engine::storage_recovered(const std::string& who) {
  std::fprintf(stderr, "stockd: %s: durable writes work again\n", who.c_str());
  if (degraded_shards_.fetch_sub(1) == 1) {
    std::lock_guard lock(storage_error_mutex_);
    storage_error_.clear();
  }
}

std::vector<ReserveCandidate> pool_candidates(const Channel& channel, const Catalog& catalog,
                                              const std::string& location_id,
                                              std::optional<GeoPoint> shopper, double radius_km,
                                              Fulfilment fulfilment, double demand_factor) {
  std::vector<ReserveCandidate> candidates;
  for (const ChannelLocation& member : pool_in_order(channel)) {
    if (!location_id.empty() && member.id != location_id) continue;
    const Location* location = catalog.find_location(member.id);
    if (location == nullptr) continue;
    if (shopper && location->type == LocationType::store &&
        distance_km(*shopper, GeoPoint{location->lat, location->lon}) > radius_km) {
      continue;  // ship-from-store only within the shopper's radius
    }
    SellableRule rule = sellable_rule(channel, *location, fulfilment);
    rule.demand_factor = demand_factor;  // a running promotion widens the dynamic buffer
    candidates.emplace_back(member.id, rule);
  }
  return candidates;
}

}  // namespace stockd
