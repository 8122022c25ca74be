#include "engine/shard.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <unordered_set>

#include "base/assert.hpp"
#include "base/limits.hpp"
#include "core/ids.hpp"
#include "engine/inflight_keys.hpp"

namespace stockd {
namespace {

constexpr auto kIdleWaitMax = std::chrono::milliseconds{1000};
const Position kEmptyPosition{};

std::string idempotency_key(const Event& event) {
  std::string key;
  key.reserve(event.source.size() + 1 + event.id.size());
  key.append(event.source).push_back('\0');
  key.append(event.id);
  return key;
}

uint32_t count_bits(uint32_t value) { return static_cast<uint32_t>(__builtin_popcount(value)); }

}  // namespace

Shard::Shard(Engine& engine, uint32_t index, ChainHead head)
    : engine_(engine),
      index_(index),
      queue_(engine.options_.queue_commands_max),
      random_(engine.options_.random_seed != 0 ? engine.options_.random_seed + index
                                               : std::random_device{}()),
      log_driven_(engine.options_.log_driven),
      head_(head) {}

void Shard::set_log_checkpoint(LogCheckpoint checkpoint) {
  STOCKD_ASSERT(!thread_.joinable());
  log_next_offset_ = checkpoint.next_offset;
  log_time_ = checkpoint.log_time;
  std::lock_guard lock(log_mutex_);
  durable_log_ = checkpoint;
}

void Shard::advance_log(const LogStamp& stamp) {
  STOCKD_ASSERT(log_driven_);
  // Each offset is applied once, in order: the feeder resumes after the checkpoint.
  STOCKD_ASSERT(stamp.offset >= log_next_offset_);
  log_applying_offset_ = stamp.offset;
  log_next_offset_ = stamp.offset + 1;
  log_time_ = std::max(log_time_, stamp.at);
  log_moved_ = true;
  expire_due(log_time_);
}

Shard::~Shard() { STOCKD_ASSERT(!thread_.joinable()); }

void Shard::load_position(std::string_view sku, std::string_view location,
                          const Position& position) {
  positions_[std::string(sku)][std::string(location)].position = position;
  std::lock_guard lock(metrics_mutex_);
  note_position(std::string(sku), std::string(location), position);
}

// With metrics_mutex_ held.
void Shard::note_position(const std::string& sku, const std::string& location,
                          const Position& position) {
  LocationHealth& health = location_health_[location];
  health.last_event_at = std::max(health.last_event_at, position.last_event_at);
  health.last_count_at = std::max(health.last_count_at, position.last_count_at);
  std::string key = sku;
  key.push_back('\0');
  key.append(location);
  if (position.on_hand < 0) {
    if (negative_.insert(std::move(key)).second) health.negative_positions += 1;
  } else if (negative_.erase(key) > 0) {
    health.negative_positions -= 1;
  }
}

void Shard::load_reservation(const Reservation& reservation) {
  if (reservation.backorder && reservation.at_risk) promises_at_risk_now_.fetch_add(1);
  if (reservation.backorder && reservation.state == ReservationState::committed) {
    committed_promises_.emplace(reservation.id, reservation);
    return;
  }
  STOCKD_ASSERT(reservation.state == ReservationState::active);
  expiry_.emplace(reservation.expires_at, reservation.id);
  active_.emplace(reservation.id, reservation);
}

void Shard::load_purchase_order(const PurchaseOrder& po) {
  if (!purchase_orders_.contains(po.id)) po_ids_by_sku_[po.sku].push_back(po.id);
  purchase_orders_[po.id] = po;
}

void Shard::load_published(std::string_view sku, std::string_view channel,
                           const PublishedAvailability& published) {
  published_[std::string(sku)].emplace_back(std::string(channel), published);
}

void Shard::write_purchase_order(const PurchaseOrder& po) {
  purchase_orders_[po.id] = po;
  write_set_.purchase_orders.push_back(po);
}

Status Shard::check_loaded_state() const {
  std::map<std::pair<std::string, std::string>, int64_t> held;
  std::map<std::string, int64_t> promised;  // by open PO
  for (const auto& [id, reservation] : active_) {
    if (reservation.backorder) {
      promised[reservation.purchase_order_id] += reservation.quantity;
      continue;
    }
    held[{reservation.sku, reservation.location}] += reservation.quantity;
  }
  for (const auto& [id, reservation] : committed_promises_) {
    promised[reservation.purchase_order_id] += reservation.quantity;
  }
  for (const auto& [id, po] : purchase_orders_) {
    if (!po_open(po)) continue;
    const auto it = promised.find(id);
    const int64_t holds = it == promised.end() ? 0 : it->second;
    if (po.promised != holds) {
      return Status::error("store is inconsistent: purchase order " + id +
                           " has promised=" + std::to_string(po.promised) +
                           " but its backorder promises hold " + std::to_string(holds));
    }
  }
  for (const auto& [sku, locations] : positions_) {
    for (const auto& [location, slot] : locations) {
      const auto it = held.find({sku, location});
      const int64_t holds = it == held.end() ? 0 : it->second;
      if (slot.position.reserved != holds) {
        return Status::error("store is inconsistent: position " + sku + "@" + location +
                             " has reserved=" + std::to_string(slot.position.reserved) +
                             " but its active reservations hold " + std::to_string(holds));
      }
      if (slot.position.allocated < 0) {
        return Status::error("store is inconsistent: position " + sku + "@" + location +
                             " has negative allocated");
      }
    }
  }
  for (const auto& [key, holds] : held) {
    if (find(key.first, key.second) == nullptr) {
      return Status::error("store is inconsistent: reservations on missing position " + key.first +
                           "@" + key.second);
    }
  }
  return Status::ok();
}

template <typename Result>
void Shard::defer_reply(std::function<void(Result)>& done, Result result) {
  replies_.push_back(
      [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

void Shard::start() {
  STOCKD_ASSERT(!thread_.joinable());
  thread_ = std::thread([this] { run(); });
}

void Shard::join() {
  if (thread_.joinable()) thread_.join();
}

void Shard::run() {
  std::vector<Command> batch;
  batch.reserve(engine_.options_.batch_commands_max);
  bool stopping = false;
  while (true) {
    batch.clear();
    auto wait = kIdleWaitMax;
    if (!expiry_.empty() && !log_driven_) {
      const Duration until = expiry_.begin()->first - engine_.clock_.now();
      wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(until) +
                            std::chrono::milliseconds{1},
                        std::chrono::milliseconds{0}, kIdleWaitMax);
    }
    if (stopping) wait = std::chrono::milliseconds{0};
    queue_.pop_batch(batch, engine_.options_.batch_commands_max,
                     std::chrono::steady_clock::now() + wait);
    if (stopping && batch.empty()) break;

    // In cluster mode the partition's time is the log's: each command's stamp.
    const Timestamp clock_now = engine_.clock_.now();
    const std::shared_ptr<const Catalog> catalog = engine_.catalog();
    if (!batch.empty()) batch_metrics_.batch_commands.observe(static_cast<double>(batch.size()));
    if (!log_driven_) expire_due(clock_now);
    for (Command& command : batch) {
      std::visit(
          [&](auto& item) {
            using T = std::decay_t<decltype(item)>;
            if constexpr (std::is_same_v<T, StopCommand>) {
              stopping = true;
            } else if constexpr (std::is_same_v<T, PauseCommand>) {
              // A multi-shard operation: make everything before this durable and
              // answered, then hand this shard's state to the coordinator until it resumes.
              flush();
              item.gate->paused.set_value();
              item.gate->resumed.wait();
            } else if constexpr (std::is_same_v<T, TickCommand>) {
              advance_log(item.log);
            } else {
              if constexpr (std::is_same_v<T, EventsCommand> ||
                            std::is_same_v<T, ReserveCommandItem> ||
                            std::is_same_v<T, EndReservationCommand>) {
                // A change in cluster mode comes only from the log.
                STOCKD_ASSERT(item.log.has_value() == log_driven_);
                if (item.log) advance_log(*item.log);
              }
              const Timestamp now = log_driven_ ? log_time_ : clock_now;
              if constexpr (std::is_same_v<T, ReserveCommandItem>) {
                current_principal_ = item.request.principal;
              } else if constexpr (std::is_same_v<T, EndReservationCommand>) {
                current_principal_ = item.principal;
              }
              process(item, now, *catalog);
              current_principal_.clear();
            }
          },
          command);
    }
    flush();
  }
}

Shard::PositionSlot& Shard::slot(const std::string& sku, const std::string& location) {
  LocationMap& locations = positions_[sku];
  const auto found = locations.find(location);
  if (found != locations.end()) return found->second;
  return locations.emplace(location, PositionSlot{}).first->second;
}

const Position* Shard::find(const std::string& sku, const std::string& location) const {
  const auto by_sku = positions_.find(sku);
  if (by_sku == positions_.end()) return nullptr;
  const auto found = by_sku->second.find(location);
  return found == by_sku->second.end() ? nullptr : &found->second.position;
}

void Shard::mark_dirty(const std::string& sku, const std::string& location, PositionSlot& slot) {
  if (slot.dirty_batch == batch_number_) return;
  slot.dirty_batch = batch_number_;
  const auto by_sku = positions_.find(sku);
  STOCKD_ASSERT(by_sku != positions_.end());
  const auto found = by_sku->second.find(location);
  STOCKD_ASSERT(found != by_sku->second.end());
  dirty_.push_back({&by_sku->first, &found->first, &slot});
}

void Shard::append(LedgerRecord record, Timestamp now) {
  if (record.kind != RecordKind::event && record.principal.empty()) {
    record.principal = current_principal_;  // the caller of the promise being changed
  }
  record.stream = index_;
  record.sequence = head_.sequence + 1;
  record.received_at = now;
  record.prev_hash = head_.hash;
  record.hash = chain_hash(record.prev_hash, record);
  head_.sequence = record.sequence;
  head_.hash = record.hash;
  write_set_.ledger.push_back(std::move(record));
}

void Shard::process(EventsCommand& command, Timestamp now, const Catalog& catalog) {
  STOCKD_ASSERT(command.events.size() == command.indices.size());
  for (size_t i = 0; i < command.events.size(); ++i) {
    const Event& event = command.events[i];
    const EventResult& result = command.gather->results[command.indices[i]] =
        process_event(event, now, catalog);
    // Labels are bounded: unregistered sources and unknown types are "unknown".
    const bool known_source = catalog.find_source(event.source) != nullptr;
    const bool known_type =
        result.error != EventError::unknown_event_type && result.error != EventError::malformed;
    const std::string source = known_source ? event.source : "unknown";
    batch_metrics_
        .events[{source, known_type ? std::string(event_type_name(event.type)) : "unknown",
                 std::string(event_status_name(result.status))}] += 1;
    if (result.status == EventStatus::applied || result.status == EventStatus::superseded) {
      const double lag_seconds =
          std::max<double>(0, std::chrono::duration<double>(now - event.occurred_at).count());
      batch_metrics_.event_lag_seconds_by_source.try_emplace(source, Histogram::seconds())
          .first->second.observe(lag_seconds);
      if (catalog.find_location(event.location) != nullptr) {
        batch_metrics_.event_lag_seconds_by_location
            .try_emplace(event.location, Histogram::seconds())
            .first->second.observe(lag_seconds);
      }
    }
  }
  replies_.push_back([gather = command.gather] {
    if (gather->shards_remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      gather->done(std::move(gather->results));
    }
  });
}

EventResult Shard::process_event(const Event& event, Timestamp now, const Catalog& catalog) {
  EventResult result;
  result.id = event.id;
  const auto reject = [&](EventError error, std::string_view field) {
    result.status = EventStatus::rejected;
    result.error = error;
    result.error_field = field;
    stats_.events_rejected.fetch_add(1, std::memory_order_relaxed);
    // The audit trail keeps refused facts too (who tried what), when they name a SKU.
    if (is_valid_sku(event.sku) && error != EventError::idempotency_in_flight) {
      LedgerRecord record;
      record.kind = RecordKind::event;
      record.sku = event.sku;
      record.event = event;
      record.principal = std::move(record.event.principal);
      record.event.principal.clear();
      record.event.if_version.reset();
      record.status = EventStatus::rejected;
      record.error = error;
      record.effective_occurred_at = event.occurred_at;
      append(std::move(record), now);
    }
    return result;
  };

  const EventCheck check = validate_event(event, catalog);
  if (!check.ok()) return reject(check.error, check.field);
  const Source* source = catalog.find_source(event.source);
  STOCKD_ASSERT(source != nullptr);  // validate_event checked it

  // Idempotency: this batch first, then other shards' unwritten claims, then the store.
  std::string key = idempotency_key(event);
  const Sha256Digest payload_hash = event_payload_hash(event);
  const auto repeat = [&](const Sha256Digest& first_hash, uint64_t version, uint32_t anomalies) {
    if (first_hash != payload_hash) return reject(EventError::idempotency_conflict, "id");
    result.status = EventStatus::duplicate;
    result.version = version;
    result.anomalies = anomalies;
    stats_.events_duplicate.fetch_add(1, std::memory_order_relaxed);
    return result;
  };
  if (const auto pending = pending_keys_.find(key); pending != pending_keys_.end()) {
    return repeat(pending->second.payload_hash, pending->second.version, pending->second.anomalies);
  }
  if (!engine_.inflight_->acquire(key, index_)) {
    return reject(EventError::idempotency_in_flight, "id");
  }
  held_keys_.push_back(key);
  if (const auto stored = engine_.store_.find_idempotency(event.source, event.id)) {
    if (stored->received_at + engine_.options_.idempotency_retention > now) {
      return repeat(stored->payload_hash, stored->version, stored->anomalies);
    }
  }

  if (event.if_version) {
    const Position* current = find(event.sku, event.location);
    const uint64_t version = current != nullptr ? current->version : 0;
    if (version != *event.if_version) return reject(EventError::version_mismatch, "if_version");
  }
  // Returns normalization: a resellable return where a channel would sell it, at a node
  // that never held the SKU, is quarantined rather than shown as availability.
  bool carried_here = true;
  if (event.type == EventType::return_ && event.condition == "resellable") {
    const Position* existing = find(event.sku, event.location);
    carried_here =
        (existing != nullptr && existing->version > 0) || !catalog.feeds_a_channel(event.location);
  }
  const EventDecision decision =
      apply_fact(event, source->priority, now, result.version, carried_here, &catalog);
  result.status = decision.status;
  for (const BucketDelta& delta : decision.deltas) {
    if (delta.target == Target::location && delta.bucket == Bucket::on_hand) {
      result.on_hand_delta += delta.delta;
    }
  }
  result.anomalies = decision.anomalies;
  write_set_.idempotency.push_back(
      {event.source, event.id,
       IdempotencyEntry{payload_hash, now, decision.status, result.version, result.anomalies}});
  pending_keys_.emplace(
      std::move(key), PendingKey{payload_hash, decision.status, result.version, result.anomalies});

  if (decision.status == EventStatus::applied) {
    stats_.events_applied.fetch_add(1, std::memory_order_relaxed);
  } else {
    stats_.events_superseded.fetch_add(1, std::memory_order_relaxed);
  }
  const uint32_t clamped = decision.anomalies & static_cast<uint32_t>(Anomaly::clock_drift_clamped);
  if (clamped != 0) stats_.clock_drift_clamped.fetch_add(1, std::memory_order_relaxed);
  stats_.anomalies.fetch_add(count_bits(decision.anomalies & ~clamped), std::memory_order_relaxed);
  return result;
}

// Decides and applies a checked fact, appends its ledger record and marks what changed.
EventDecision Shard::apply_fact(const Event& event, int64_t source_priority, Timestamp now,
                                uint64_t& version_after, bool carried_here,
                                const Catalog* judge_with) {
  PositionSlot& here = slot(event.sku, event.location);
  PositionSlot* there =
      event.type == EventType::transfer_out ? &slot(event.sku, event.to_location) : nullptr;
  const EventDecision decision = decide_event(event, source_priority, here.position,
                                              there != nullptr ? there->position : kEmptyPosition,
                                              now, engine_.options_.rules, carried_here);
  const uint64_t here_version_before = here.position.version;
  const int64_t here_rate_before = here.position.sales_rate_milli_per_day;
  const Timestamp here_rate_at_before = here.position.sales_rate_at;
  const DemandModel here_demand_before = here.position.demand;
  std::optional<ExceptionFinding> finding;
  if (judge_with != nullptr) {
    const Location* location = judge_with->find_location(event.location);
    const bool location_sells = judge_with->feeds_a_channel(event.location) ||
                                (location != nullptr && location->type == LocationType::store);
    finding = detect_exception(event, decision, here.position, location_sells);
  }
  apply_event(event, source_priority, decision, here.position,
              there != nullptr ? &there->position : nullptr);

  LedgerRecord record;
  record.kind = RecordKind::event;
  record.sku = event.sku;
  record.event = event;
  record.principal = std::move(record.event.principal);
  record.event.principal.clear();
  record.status = decision.status;
  record.anomalies = decision.anomalies;
  record.effective_occurred_at = decision.occurred_at;
  for (const BucketDelta& delta : decision.deltas) {
    record.deltas.push_back({delta.target == Target::location ? event.location : event.to_location,
                             delta.bucket, delta.delta});
  }
  if (here.position.version != here_version_before) {
    mark_dirty(event.sku, event.location, here);
    record.versions.push_back({event.location, here.position.version});
  } else if (here.position.sales_rate_milli_per_day != here_rate_before ||
             here.position.sales_rate_at != here_rate_at_before ||
             here.position.demand != here_demand_before) {
    // A wholly superseded sale changes no bucket but still happened: its velocity is
    // stored too (found by ReopenEqualsBefore, seed 5000305453119531132).
    mark_dirty(event.sku, event.location, here);
  }
  if (there != nullptr && decision.deltas.touches(Target::to_location)) {
    mark_dirty(event.sku, event.to_location, *there);
    record.versions.push_back({event.to_location, there->position.version});
  }
  append(std::move(record), now);
  if (finding) record_exception(event, *finding, decision.occurred_at, now);
  if (Timestamp& at = fact_at_[event.sku]; at < decision.occurred_at) at = decision.occurred_at;
  if (event.type == EventType::receipt && !event.reference.empty()) {
    receive_against_purchase_order(event, now);
  }
  if ((event.type == EventType::shipment || event.type == EventType::cancellation) &&
      !event.reference.empty() && decision.status == EventStatus::applied) {
    note_order_progress(event);
  }
  version_after = here.position.version;
  return decision;
}

// Stored with the fact's own write: an exception exists exactly when its fact does.
void Shard::record_exception(const Event& event, const ExceptionFinding& finding,
                             Timestamp occurred_at, Timestamp now) {
  StockException exception;
  exception.stream = index_;
  exception.sequence = head_.sequence;  // the fact's ledger record, just appended
  exception.id = stock_exception_id(index_, head_.sequence);
  exception.kind = finding.kind;
  exception.action = finding.action;
  exception.sku = event.sku;
  exception.location = event.location;
  exception.event_source = event.source;
  exception.event_id = event.id;
  exception.event_type = event.type;
  exception.units = finding.units;
  exception.threshold_units = finding.threshold_units;
  exception.why = finding.why;
  exception.occurred_at = occurred_at;
  exception.detected_at = now;
  write_set_.aux.emplace_back(stock_exception_key(exception.id), encode_stock_exception(exception));
  stats_.exceptions_detected[static_cast<size_t>(finding.kind)].fetch_add(
      1, std::memory_order_relaxed);
  engine_.open_exceptions_.fetch_add(1, std::memory_order_relaxed);
}

void Shard::note_order_progress(const Event& event) {
  const auto found = allocations_.find(allocation_key(event.reference, event.sku, event.location));
  if (found == allocations_.end()) return;  // not one of stockd's orders, or already closed
  AllocationProgress& progress = found->second;
  const int64_t units = std::min(event.quantity, progress.open());
  (event.type == EventType::shipment ? progress.shipped : progress.cancelled) += units;
  write_set_.aux.emplace_back(found->first, encode_allocation_progress(progress));
  if (progress.open() == 0) allocations_.erase(found);
}

void Shard::load_allocation(const AllocationProgress& progress) {
  if (progress.open() > 0) {
    allocations_.emplace(allocation_key(progress.order_id, progress.sku, progress.location),
                         progress);
  }
}

const AllocationProgress& Shard::add_allocation(const std::string& order_id, const std::string& sku,
                                                const std::string& location, int64_t quantity,
                                                bool placing) {
  STOCKD_ASSERT(quantity > 0);
  std::string key = allocation_key(order_id, sku, location);
  // A re-route may allocate again where the order was before: the record accumulates.
  std::optional<AllocationProgress> stored;
  if (!placing && allocations_.find(key) == allocations_.end()) {
    if (auto bytes = engine_.store_.get_aux(key)) stored = decode_allocation_progress(*bytes);
  }
  auto [it, inserted] = allocations_.try_emplace(
      key, stored ? *stored : AllocationProgress{order_id, sku, location, 0, 0, 0});
  it->second.quantity += quantity;
  write_set_.aux.emplace_back(std::move(key), encode_allocation_progress(it->second));
  return it->second;
}

void Shard::cancel_allocation(const AllocationProgress& progress, int64_t quantity,
                              const std::string& reason, Timestamp now) {
  STOCKD_ASSERT(quantity > 0 && quantity <= progress.open());
  Event event;
  event.id = "order-cancel:" + progress.order_id + ":" + std::to_string(head_.sequence + 1);
  event.source = std::string(kInternalSource);
  event.principal = current_principal_;  // on whose behalf stockd records it
  event.type = EventType::cancellation;
  event.sku = progress.sku;
  event.location = progress.location;
  event.quantity = quantity;
  event.occurred_at = now;
  event.reason = reason;
  event.reference = progress.order_id;
  uint64_t version = 0;
  // stockd's own fact outranks every source: no count can have included it already.
  const EventDecision decision =
      apply_fact(event, std::numeric_limits<int64_t>::max(), now, version);
  STOCKD_ASSERT(decision.status == EventStatus::applied);
}

std::string Shard::new_reservation_id(std::string_view sku) {
  // In cluster mode the id is a function of the command's place in the log, so whichever
  // node applies it names the hold the same (one hold per logged reservation command).
  uint64_t bits = 0;
  if (log_driven_) {
    bits = (static_cast<uint64_t>(index_) << 48) ^ log_applying_offset_;
    bits = (bits ^ (bits >> 30)) * 0xbf58476d1ce4e5b9ULL;  // splitmix64's finaliser: a bijection
    bits = (bits ^ (bits >> 27)) * 0x94d049bb133111ebULL;
    bits ^= bits >> 31;
  } else {
    bits = random_();
  }
  char buffer[32];
  const int length = std::snprintf(buffer, sizeof buffer, "r%04x-%016llx", Engine::slot_of(sku),
                                   static_cast<unsigned long long>(bits));
  return std::string(buffer, static_cast<size_t>(length));
}

void Shard::process(ReserveCommandItem& command, Timestamp now, const Catalog& catalog) {
  const ReserveRequest& request = command.request;
  ReserveResult result;
  const auto answer = [&] {
    if (result.status != ReserveStatus::ok) {
      stats_.reservations_refused.fetch_add(1, std::memory_order_relaxed);
    }
    defer_reply(command.done, std::move(result));
  };
  const int64_t ttl_seconds = std::chrono::duration_cast<std::chrono::seconds>(request.ttl).count();
  if (!is_valid_sku(request.sku)) {
    result.status = ReserveStatus::invalid_sku;
  } else if (request.quantity < 1 || request.quantity > limits::quantity_max) {
    result.status = ReserveStatus::quantity_out_of_range;
  } else if (ttl_seconds < 1 || ttl_seconds > limits::reservation_ttl_seconds_max) {
    result.status = ReserveStatus::ttl_out_of_range;
  } else if (request.candidates.empty() ||
             request.candidates.size() > limits::reservation_candidates_max) {
    result.status = ReserveStatus::unknown_location;
  } else {
    for (const ReserveCandidate& candidate : request.candidates) {
      if (catalog.find_location(candidate.location) == nullptr) {
        result.status = ReserveStatus::unknown_location;
        break;
      }
    }
  }
  if (result.status != ReserveStatus::ok) return answer();

  // Idempotency-Key: this batch first, other shards' unwritten claims, then the store.
  if (!request.request_key.empty()) {
    const auto replay = [&](const RequestKeyEntry& entry) {
      if (entry.fingerprint != request.request_fingerprint) {
        result.status = ReserveStatus::idempotency_conflict;
      } else {
        result.status = entry.status;
        result.available = entry.available;
        result.reservation = entry.reservation;
        result.version = entry.version;
        result.replayed = true;
      }
      return answer();
    };
    if (const auto pending = pending_request_keys_.find(request.request_key);
        pending != pending_request_keys_.end()) {
      return replay(pending->second);
    }
    const std::string claim = "request\0" + request.request_key;
    if (!engine_.inflight_->acquire(claim, index_)) {
      result.status = ReserveStatus::idempotency_in_flight;
      return answer();
    }
    held_keys_.push_back(claim);
    if (const auto stored = engine_.store_.find_request_key(request.request_key)) {
      if (stored->created_at + engine_.options_.request_key_retention > now) return replay(*stored);
    }
  }
  const auto remember = [&] {
    if (request.request_key.empty()) return;
    RequestKeyEntry entry{
        request.request_fingerprint, now,           result.status, result.available,
        result.reservation,          result.version};
    pending_request_keys_.insert_or_assign(request.request_key, entry);
    write_set_.request_keys.push_back({request.request_key, std::move(entry)});
  };

  if (request.backorder) {
    reserve_backorder(command, result, now);
    remember();
    return answer();
  }

  const std::string* chosen = nullptr;
  int64_t best_sellable = 0;
  for (const ReserveCandidate& candidate : request.candidates) {
    const Position* position = find(request.sku, candidate.location);
    const Position& current = position != nullptr ? *position : kEmptyPosition;
    const int64_t sellable_units = sellable(current, candidate.rule, now);
    if (decide_reserve(current, request.quantity, sellable_units) == ReserveStatus::ok &&
        (chosen == nullptr || sellable_units > best_sellable)) {
      chosen = &candidate.location;
      if (!request.prefer_safest) break;
    }
    best_sellable = std::max(best_sellable, sellable_units);
  }
  if (chosen == nullptr) {
    result.status = ReserveStatus::insufficient_stock;
    result.available = best_sellable;
    remember();
    return answer();
  }

  const Position& held =
      place_hold(request.sku, *chosen, request.channel, request.quantity, request.ttl, now);
  result.reservation = active_.at(last_hold_id_);
  result.available = available(held);
  result.version = held.version;
  remember();
  answer();
}

const Position& Shard::place_hold(const std::string& sku, const std::string& location,
                                  const std::string& channel, int64_t quantity, Duration ttl,
                                  Timestamp now) {
  Reservation reservation;
  reservation.id = new_reservation_id(sku);
  while (active_.contains(reservation.id)) reservation.id = new_reservation_id(sku);
  reservation.sku = sku;
  reservation.location = location;
  reservation.channel = channel;
  reservation.quantity = quantity;
  reservation.created_at = now;
  reservation.expires_at = now + ttl;
  reservation.state = ReservationState::active;

  PositionSlot& held = slot(sku, location);
  apply_reserve(held.position, reservation);
  mark_dirty(sku, location, held);

  LedgerRecord record;
  record.kind = RecordKind::reservation_created;
  record.sku = sku;
  record.reservation_id = reservation.id;
  record.reservation_quantity = reservation.quantity;
  record.deltas.push_back({location, Bucket::reserved, reservation.quantity});
  record.versions.push_back({location, held.position.version});
  append(std::move(record), now);
  write_set_.reservations.push_back(reservation);
  expiry_.emplace(reservation.expires_at, reservation.id);
  last_hold_id_ = reservation.id;
  active_.emplace(reservation.id, std::move(reservation));
  stats_.reservations_created.fetch_add(1, std::memory_order_relaxed);
  return held.position;
}

ReserveResult Shard::end(Reservation& reservation, ReservationState to, std::string order_id,
                         Timestamp now) {
  if (reservation.backorder) {
    // A promise on a purchase order: no position changes; the PO keeps the units promised
    // while the promise stands (active or committed) and frees them otherwise.
    STOCKD_ASSERT(reservation.state == ReservationState::active);
    reservation.state = to;
    reservation.ended_at = now;
    reservation.order_id = std::move(order_id);
    const auto po = purchase_orders_.find(reservation.purchase_order_id);
    // A promise stops being at risk when it ends, or is committed on a PO already received.
    const bool po_still_open = po != purchase_orders_.end() && po_open(po->second);
    if (reservation.at_risk && (to != ReservationState::committed || !po_still_open)) {
      promises_at_risk_now_.fetch_sub(1);
    }
    if (to == ReservationState::committed) {
      committed_promises_.insert_or_assign(reservation.id, reservation);
    } else if (po != purchase_orders_.end()) {
      PurchaseOrder changed = po->second;
      changed.promised -= std::min(changed.promised, reservation.quantity);
      write_purchase_order(changed);
    }
    LedgerRecord record;
    record.sku = reservation.sku;
    record.reservation_id = reservation.id;
    record.reservation_quantity = reservation.quantity;
    record.order_id = reservation.order_id;
    record.kind = to == ReservationState::committed  ? RecordKind::reservation_committed
                  : to == ReservationState::released ? RecordKind::reservation_released
                                                     : RecordKind::reservation_expired;
    append(std::move(record), now);
    write_set_.reservations.push_back(reservation);
    ReserveResult result;
    result.reservation = reservation;
    const std::string id = reservation.id;  // `reservation` may refer into active_
    ended_this_batch_.insert_or_assign(id, reservation);
    active_.erase(id);
    return result;
  }
  PositionSlot& held = slot(reservation.sku, reservation.location);
  apply_end(held.position, reservation, to, now, std::move(order_id));
  mark_dirty(reservation.sku, reservation.location, held);

  LedgerRecord record;
  record.sku = reservation.sku;
  record.reservation_id = reservation.id;
  record.reservation_quantity = reservation.quantity;
  record.order_id = reservation.order_id;
  record.deltas.push_back({reservation.location, Bucket::reserved, -reservation.quantity});
  switch (to) {
    case ReservationState::committed:
      record.kind = RecordKind::reservation_committed;
      record.deltas.push_back({reservation.location, Bucket::allocated, reservation.quantity});
      stats_.reservations_committed.fetch_add(1, std::memory_order_relaxed);
      break;
    case ReservationState::released:
      record.kind = RecordKind::reservation_released;
      stats_.reservations_released.fetch_add(1, std::memory_order_relaxed);
      break;
    case ReservationState::expired:
      record.kind = RecordKind::reservation_expired;
      stats_.reservations_expired.fetch_add(1, std::memory_order_relaxed);
      break;
    case ReservationState::active:
      STOCKD_UNREACHABLE();
  }
  record.versions.push_back({reservation.location, held.position.version});
  append(std::move(record), now);
  write_set_.reservations.push_back(reservation);

  ReserveResult result;
  result.reservation = reservation;
  result.available = available(held.position);
  result.version = held.position.version;
  const std::string id = reservation.id;  // `reservation` may refer into active_
  ended_this_batch_.insert_or_assign(id, reservation);
  active_.erase(id);
  return result;
}

void Shard::expire_due(Timestamp now) {
  while (!expiry_.empty() && expiry_.begin()->first <= now) {
    const auto [expires_at, id] = *expiry_.begin();
    expiry_.erase(expiry_.begin());
    const auto found = active_.find(id);
    if (found == active_.end() || found->second.expires_at != expires_at) continue;
    end(found->second, ReservationState::expired, "", now);
  }
}

void Shard::process(EndReservationCommand& command, Timestamp now, const Catalog& catalog) {
  (void)catalog;
  ReserveResult result;
  const auto found = active_.find(command.id);
  if (command.to == ReservationState::committed && !is_valid_id(command.order_id)) {
    result.status = ReserveStatus::invalid_order_id;
  } else if (found == active_.end()) {
    std::optional<Reservation> ended;
    if (const auto it = ended_this_batch_.find(command.id); it != ended_this_batch_.end()) {
      ended = it->second;
    } else {
      ended = engine_.store_.find_reservation(command.id);
    }
    result.status =
        ended ? ReserveStatus::reservation_not_active : ReserveStatus::reservation_not_found;
    if (ended) result.reservation = std::move(*ended);
  } else if (decide_end(found->second, now) != ReserveStatus::ok) {
    // Its expiry is due at this very instant: it expires rather than ends otherwise.
    result = end(found->second, ReservationState::expired, "", now);
    result.status = ReserveStatus::reservation_not_active;
  } else {
    result = end(found->second, command.to, std::move(command.order_id), now);
  }
  defer_reply(command.done, std::move(result));
}

void Shard::process(GetReservationCommand& command, Timestamp now, const Catalog& catalog) {
  (void)now;
  (void)catalog;
  ReserveResult result;
  if (const auto found = active_.find(command.id); found != active_.end()) {
    result.reservation = found->second;
  } else if (const auto it = ended_this_batch_.find(command.id); it != ended_this_batch_.end()) {
    result.reservation = it->second;
  } else if (auto stored = engine_.store_.find_reservation(command.id)) {
    result.reservation = std::move(*stored);
  } else {
    result.status = ReserveStatus::reservation_not_found;
  }
  defer_reply(command.done, std::move(result));
}

void Shard::process(GetStockCommand& command, Timestamp now, const Catalog& catalog) {
  (void)now;
  (void)catalog;
  StockView view;
  view.sku = command.sku;
  if (const auto found = positions_.find(command.sku); found != positions_.end()) {
    for (const auto& [location, held] : found->second) {
      if (held.position.version == 0) continue;  // looked at, never changed
      view.positions.push_back({location, held.position});
    }
  }
  if (const auto ids = po_ids_by_sku_.find(command.sku); ids != po_ids_by_sku_.end()) {
    for (const std::string& id : ids->second) {
      const PurchaseOrder& po = purchase_orders_.at(id);
      if (po_open(po)) view.purchase_orders.push_back(po);
    }
  }
  // Answered after this batch is durable, like every other reply.
  defer_reply(command.done, std::move(view));
}

void Shard::receive_against_purchase_order(const Event& event, Timestamp now) {
  auto found = purchase_orders_.find(event.reference);
  if (found == purchase_orders_.end()) {
    // A receipt naming an ASN counts against the ASN's PO (when it is for the PO's SKU).
    const std::string po_id = engine_.asn_purchase_order(event.reference);
    if (po_id.empty()) return;
    found = purchase_orders_.find(po_id);
    if (found == purchase_orders_.end()) return;  // the PO's SKU lives on another shard
  }
  PurchaseOrder po = found->second;
  if (po.sku != event.sku || po.location != event.location) return;
  po.received += event.quantity;
  po.updated_at = now;
  if (!po_open(po)) {
    // Delivered: the committed promises on it are now fulfilled from on-hand stock.
    std::erase_if(committed_promises_, [&](const auto& entry) {
      if (entry.second.purchase_order_id != po.id) return false;
      if (entry.second.at_risk) promises_at_risk_now_.fetch_sub(1);
      return true;
    });
    po.promised = 0;
  }
  write_purchase_order(po);
}

void Shard::reserve_backorder(ReserveCommandItem& command, ReserveResult& result, Timestamp now) {
  const ReserveRequest& request = command.request;
  std::vector<const PurchaseOrder*> candidates;
  if (const auto ids = po_ids_by_sku_.find(request.sku); ids != po_ids_by_sku_.end()) {
    for (const std::string& id : ids->second) {
      const PurchaseOrder& po = purchase_orders_.at(id);
      for (const ReserveCandidate& candidate : request.candidates) {
        if (candidate.location == po.location && po_open(po)) candidates.push_back(&po);
      }
    }
  }
  const BackorderPlan plan = plan_backorder(candidates, request.quantity);
  if (!plan.chosen) {
    result.status = ReserveStatus::insufficient_stock;
    result.available = plan.backorderable;
    return;
  }
  PurchaseOrder po = *candidates[*plan.chosen];
  Reservation reservation;
  reservation.id = new_reservation_id(request.sku);
  while (active_.contains(reservation.id)) reservation.id = new_reservation_id(request.sku);
  reservation.sku = request.sku;
  reservation.location = po.location;
  reservation.channel = request.channel;
  reservation.quantity = request.quantity;
  reservation.created_at = now;
  reservation.expires_at = now + request.ttl;
  reservation.backorder = true;
  reservation.purchase_order_id = po.id;
  reservation.promise_from = po.expected_at;
  reservation.promise_to = po.expected_at + kPromiseWindow;
  STOCKD_ASSERT(po_free(po) >= reservation.quantity);  // plan_backorder chose it for that
  po.promised += reservation.quantity;
  write_purchase_order(po);

  LedgerRecord record;
  record.kind = RecordKind::reservation_created;
  record.sku = request.sku;
  record.reservation_id = reservation.id;
  record.reservation_quantity = reservation.quantity;
  record.order_id = po.id;
  append(std::move(record), now);
  write_set_.reservations.push_back(reservation);
  expiry_.emplace(reservation.expires_at, reservation.id);
  active_.emplace(reservation.id, reservation);
  stats_.reservations_created.fetch_add(1, std::memory_order_relaxed);
  result.reservation = std::move(reservation);
  result.available = plan.backorderable - request.quantity;
}

void Shard::process(PutPurchaseOrderCommand& command, Timestamp now, const Catalog& catalog) {
  PurchaseOrderResult result;
  PurchaseOrder po = std::move(command.po);
  const auto answer = [&] { defer_reply(command.done, std::move(result)); };
  // A PO id is global; the same id for another SKU lands on another shard.
  const std::string claim = std::string("purchase_order") + '\0' + po.id;
  if (!engine_.inflight_->acquire(claim, index_)) {
    result.error = PurchaseOrderError::changes_sku_or_location;
    return answer();
  }
  held_keys_.push_back(claim);
  std::optional<PurchaseOrder> existing;
  if (const auto found = purchase_orders_.find(po.id); found != purchase_orders_.end()) {
    existing = found->second;
  } else {
    existing = engine_.store_.find_purchase_order(po.id);
  }
  result.error = check_purchase_order(po, existing ? &*existing : nullptr,
                                      catalog.find_location(po.location) != nullptr);
  if (result.error != PurchaseOrderError::none) return answer();
  result.created = !existing.has_value();
  po.received = existing ? existing->received : 0;
  po.promised = existing ? existing->promised : 0;
  po.created_at = existing ? existing->created_at : now;
  po.updated_at = now;

  // incoming follows the PO's remaining quantity, never below zero.
  const int64_t wanted = po_remaining(po) - (existing ? po_remaining(*existing) : 0);
  PositionSlot& held = slot(po.sku, po.location);
  const int64_t change =
      wanted >= 0 ? wanted : -std::min(-wanted, std::max<int64_t>(held.position.incoming, 0));
  LedgerRecord record;
  record.kind = RecordKind::purchase_order;
  record.sku = po.sku;
  record.reservation_id = po.id;
  record.reservation_quantity = po.quantity;
  record.order_id = po.vendor;
  record.effective_occurred_at = po.expected_at;
  if (change != 0) {
    held.position.incoming += change;
    held.position.version += 1;
    held.position.last_event_at = std::max(held.position.last_event_at, now);
    mark_dirty(po.sku, po.location, held);
    record.deltas.push_back({po.location, Bucket::incoming, change});
    record.versions.push_back({po.location, held.position.version});
  }
  append(std::move(record), now);

  // A PO that slips past a locked promise window marks the promise at risk; the window
  // itself never moves.
  if (existing && po.expected_at > existing->expected_at) {
    const auto mark = [&](Reservation& promise) {
      if (promise.purchase_order_id != po.id || promise.at_risk) return;
      if (promise.promise_to >= po.expected_at) return;
      promise.at_risk = true;
      promises_at_risk_now_.fetch_add(1);
      write_set_.reservations.push_back(promise);
      LedgerRecord risk;
      risk.kind = RecordKind::promise_at_risk;
      risk.sku = promise.sku;
      risk.reservation_id = promise.id;
      risk.reservation_quantity = promise.quantity;
      risk.order_id = po.id;
      risk.effective_occurred_at = po.expected_at;
      append(std::move(risk), now);
      result.promises_at_risk += 1;
      stats_.promises_at_risk.fetch_add(1, std::memory_order_relaxed);
    };
    for (auto& [id, reservation] : active_) {
      if (reservation.backorder) mark(reservation);
    }
    for (auto& [id, reservation] : committed_promises_) mark(reservation);
  }
  if (!purchase_orders_.contains(po.id)) po_ids_by_sku_[po.sku].push_back(po.id);
  write_purchase_order(po);
  result.purchase_order = po;
  answer();
}

void Shard::collect_outbox(Timestamp now) {
  if (dirty_.empty()) return;
  const std::shared_ptr<const Catalog> catalog = engine_.catalog();
  // Raw position changes, one row per dirty position (while a consumer wants them).
  const bool stock_rows = engine_.stock_changes_wanted();
  std::vector<const std::string*> skus;
  std::unordered_set<std::string_view> seen;
  for (const DirtyPosition& dirty : dirty_) {
    if (seen.insert(*dirty.sku).second) skus.push_back(dirty.sku);
    if (!stock_rows) continue;
    OutboxRow row;
    row.shard = index_;
    row.sequence = ++outbox_sequence_;
    row.kind = OutboxKind::stock_changed;
    row.sku = *dirty.sku;
    row.location = *dirty.location;
    row.position = dirty.slot->position;
    row.recorded_at = now;
    const auto fact = fact_at_.find(row.sku);
    row.occurred_at = fact != fact_at_.end() ? fact->second : now;
    write_set_.outbox.push_back(std::move(row));
  }
  // Channel availability, for every channel whose pool holds a changed position.
  for (const std::string* sku : skus) {
    const auto by_sku = positions_.find(*sku);
    STOCKD_ASSERT(by_sku != positions_.end());
    const LocationMap& locations = by_sku->second;
    auto& announced = published_[*sku];
    for (const auto& [channel_id, channel] : catalog->channels()) {
      bool touched = false;
      for (const ChannelLocation& member : channel.locations) {
        const auto at = locations.find(member.id);
        if (at != locations.end() && at->second.dirty_batch == batch_number_) touched = true;
      }
      if (!touched) continue;
      AvailabilityRequest request;
      request.now = now;
      request.sku = *sku;
      const ChannelAvailability availability = channel_availability(
          channel, *catalog,
          [&](std::string_view location) -> const Position* {
            const auto at = locations.find(location);
            return at == locations.end() ? nullptr : &at->second.position;
          },
          request);
      OutboxRow row;
      row.shard = index_;
      row.kind = OutboxKind::availability_changed;
      row.sku = *sku;
      row.channel = channel_id;
      row.available = availability.total;
      for (const LocationAvailability& location : availability.locations) {
        row.locations.push_back(
            {location.location, location.sellable_units, location.position.version});
      }
      const PublishedAvailability now_published{row.available, breakdown_digest(row.locations)};
      auto entry = std::find_if(announced.begin(), announced.end(),
                                [&id = channel_id](const auto& item) { return item.first == id; });
      if (entry == announced.end()) {
        // Never announced: a change unless it is (and stays) nothing at all.
        if (row.available == 0 &&
            std::all_of(row.locations.begin(), row.locations.end(),
                        [](const OutboxLocation& location) { return location.available == 0; })) {
          continue;
        }
        announced.emplace_back(channel_id, PublishedAvailability{});
        entry = announced.end() - 1;
      }
      if (entry->second == now_published) continue;
      entry->second = now_published;
      row.sequence = ++outbox_sequence_;
      row.recorded_at = now;
      const auto fact = fact_at_.find(row.sku);
      row.occurred_at = fact != fact_at_.end() ? fact->second : now;
      write_set_.published.push_back({*sku, channel_id, now_published});
      batch_metrics_.availability_changes += 1;
      write_set_.outbox.push_back(std::move(row));
    }
  }
}

void Shard::export_batch(WriteSet& into) {
  STOCKD_ASSERT(replies_.empty());
  STOCKD_ASSERT(!log_moved_);  // multi-shard operations do not run in cluster mode
  STOCKD_ASSERT(held_keys_.empty());
  collect_outbox(engine_.clock_.now());
  for (const DirtyPosition& dirty : dirty_) {
    into.positions.push_back({*dirty.sku, *dirty.location, dirty.slot->position});
  }
  for (auto& record : write_set_.ledger) into.ledger.push_back(std::move(record));
  for (auto& reservation : write_set_.reservations)
    into.reservations.push_back(std::move(reservation));
  for (auto& entry : write_set_.aux) into.aux.push_back(std::move(entry));
  for (auto& row : write_set_.outbox) into.outbox.push_back(std::move(row));
  for (auto& entry : write_set_.published) into.published.push_back(std::move(entry));
  STOCKD_ASSERT(write_set_.idempotency.empty() && write_set_.request_keys.empty() &&
                write_set_.purchase_orders.empty());
  write_set_.clear();
  dirty_.clear();
  pending_keys_.clear();
  ended_this_batch_.clear();
  pending_request_keys_.clear();
  fact_at_.clear();
  ++batch_number_;
}

void Shard::write_until_durable(Status failure) {
  // While it retries, the shard refuses new commands (and its stock reads are answered
  // from the store).
  storage_stuck_.store(true);
  engine_.write_until_durable(write_set_, "shard " + std::to_string(index_), std::move(failure));
  storage_stuck_.store(false);
}

void Shard::flush() {
  collect_outbox(engine_.clock_.now());
  const bool announces = !write_set_.outbox.empty();
  for (const DirtyPosition& dirty : dirty_) {
    write_set_.positions.push_back({*dirty.sku, *dirty.location, dirty.slot->position});
  }
  const LogCheckpoint checkpoint{log_next_offset_, log_time_};
  if (log_moved_) {
    // The partition's place in the log, in the same atomic write as what it changed.
    write_set_.aux.emplace_back(log_checkpoint_key(index_), encode_log_checkpoint(checkpoint));
  }
  if (!write_set_.empty()) {
    const auto started = std::chrono::steady_clock::now();
    const Status status = engine_.store_.write(write_set_);
    if (!status.is_ok()) write_until_durable(status);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    stats_.write_micros_total.fetch_add(
        static_cast<uint64_t>(std::chrono::duration_cast<Duration>(elapsed).count()),
        std::memory_order_relaxed);
    stats_.batches_written.fetch_add(1, std::memory_order_relaxed);
    batch_metrics_.write_seconds.observe(std::chrono::duration<double>(elapsed).count());
  }
  {
    std::lock_guard lock(metrics_mutex_);
    metrics_.merge(batch_metrics_);
    for (const DirtyPosition& dirty : dirty_) {
      note_position(*dirty.sku, *dirty.location, dirty.slot->position);
    }
  }
  batch_metrics_ = EngineMetrics{};
  if (log_moved_) {
    std::lock_guard lock(log_mutex_);
    durable_log_ = checkpoint;
    log_moved_ = false;
  }
  for (const std::string& key : held_keys_) engine_.inflight_->release(key, index_);
  if (announces) engine_.notify_outbox();
  for (auto& reply : replies_) reply();

  write_set_.clear();
  dirty_.clear();
  pending_keys_.clear();
  held_keys_.clear();
  ended_this_batch_.clear();
  pending_request_keys_.clear();
  replies_.clear();
  fact_at_.clear();
  ++batch_number_;
}

}  // namespace stockd
