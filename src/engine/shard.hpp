// One shard: the single writer for the SKUs whose slot maps to it. Owns their
// positions, active reservations and its ledger stream; runs on its own thread.
// Internal to the engine; adapters use engine.hpp.
#pragma once

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <memory_resource>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "core/stock_exception.hpp"
#include "engine/bounded_queue.hpp"
#include "engine/engine.hpp"
#include "engine/node_arena.hpp"
#include "engine/store.hpp"

namespace stockd {

struct EventsGather {
  std::vector<EventResult> results;
  std::atomic<size_t> shards_remaining{0};
  std::function<void(std::vector<EventResult>)> done;
};

struct EventsCommand {
  std::vector<Event> events;
  std::vector<uint32_t> indices;  // where each event's result goes in the gather
  std::shared_ptr<EventsGather> gather;
  std::optional<LogStamp> log;  // cluster mode: where the command sits in its partition's log
};
struct ReserveCommandItem {
  ReserveRequest request;
  std::function<void(ReserveResult)> done;
  std::optional<LogStamp> log;  // cluster mode: where the command sits in its partition's log
};
struct EndReservationCommand {
  std::string id;
  ReservationState to = ReservationState::released;
  std::string order_id;
  std::string principal;  // who ends it (the ledger record's principal)
  std::function<void(ReserveResult)> done;
  std::optional<LogStamp> log;
};
struct GetReservationCommand {
  std::string id;
  std::function<void(ReserveResult)> done;
};
struct GetStockCommand {
  std::string sku;
  std::function<void(StockView)> done;
};
struct PutPurchaseOrderCommand {
  PurchaseOrder po;
  std::function<void(PurchaseOrderResult)> done;
};
// Pauses the shard at a batch boundary for a multi-shard operation (engine/coordinator).
struct PauseGate {
  std::promise<void> paused;         // set by the shard once it has flushed and stopped
  std::shared_future<void> resumed;  // the shard waits on this
};
struct PauseCommand {
  std::shared_ptr<PauseGate> gate;
};
struct StopCommand {};
// Cluster mode: the log's time moved on with no command (holds due by then expire).
struct TickCommand {
  LogStamp log;
};

using Command =
    std::variant<EventsCommand, ReserveCommandItem, EndReservationCommand, GetReservationCommand,
                 GetStockCommand, PutPurchaseOrderCommand, PauseCommand, StopCommand, TickCommand>;

struct ShardStats {
  std::atomic<uint64_t> events_applied{0};
  std::atomic<uint64_t> events_duplicate{0};
  std::atomic<uint64_t> events_superseded{0};
  std::atomic<uint64_t> events_rejected{0};
  std::atomic<uint64_t> anomalies{0};
  std::atomic<uint64_t> clock_drift_clamped{0};
  std::atomic<uint64_t> reservations_created{0};
  std::atomic<uint64_t> reservations_committed{0};
  std::atomic<uint64_t> reservations_released{0};
  std::atomic<uint64_t> reservations_expired{0};
  std::atomic<uint64_t> reservations_refused{0};
  std::atomic<uint64_t> batches_written{0};
  std::atomic<uint64_t> write_micros_total{0};
  std::atomic<uint64_t> overloaded{0};
  std::atomic<uint64_t> promises_at_risk{0};
  std::array<std::atomic<uint64_t>, kExceptionKindSlots> exceptions_detected{};
};

class Shard {
 public:
  Shard(Engine& engine, uint32_t index, ChainHead head);
  ~Shard();

  // Start-up only, before start().
  void load_position(std::string_view sku, std::string_view location, const Position& position);
  void load_reservation(const Reservation& reservation);
  void load_purchase_order(const PurchaseOrder& po);
  void load_allocation(const AllocationProgress& progress);
  void load_published(std::string_view sku, std::string_view channel,
                      const PublishedAvailability& published);
  void set_outbox_head(uint64_t sequence) { outbox_sequence_ = sequence; }
  // Cluster mode: where this shard's partition stands durably (read at open).
  void set_log_checkpoint(LogCheckpoint checkpoint);
  LogCheckpoint log_checkpoint() const {
    std::lock_guard lock(log_mutex_);
    return durable_log_;
  }
  // Checks that every position's `reserved` equals the sum of its active holds.
  Status check_loaded_state() const;

  void start();
  // False when the queue is full (the command is left untouched).
  // Also false while the shard is stuck retrying a failed durable write.
  bool try_push(Command& command) {
    return !storage_stuck_.load(std::memory_order_relaxed) && queue_.try_push(command);
  }
  void push_stop() { queue_.force_push(StopCommand{}); }
  void push_pause(std::shared_ptr<PauseGate> gate) {
    queue_.force_push(PauseCommand{std::move(gate)});
  }
  void join();

  const ShardStats& stats() const { return stats_; }
  EngineMetrics metrics() const {
    std::lock_guard lock(metrics_mutex_);
    return metrics_;
  }
  // Backorder promises (active or committed, their PO not yet received) marked at risk.
  int64_t promises_at_risk_now() const { return promises_at_risk_now_.load(); }
  std::unordered_map<std::string, LocationHealth> location_health() const {
    std::lock_guard lock(metrics_mutex_);
    return location_health_;
  }
  size_t queue_depth() const { return queue_.size(); }
  uint32_t index() const { return index_; }
  bool storage_stuck() const { return storage_stuck_.load(); }

 private:
  friend class Engine;  // counts refusals it answers without queueing
  struct PositionSlot {
    Position position;
    uint64_t dirty_batch = 0;
  };
  using LocationMap = std::pmr::map<std::string, PositionSlot, std::less<>>;
  struct PendingKey {
    Sha256Digest payload_hash;
    EventStatus status;
    uint64_t version;
    uint32_t anomalies;
  };

  void run();
  void process(EventsCommand& command, Timestamp now, const Catalog& catalog);
  EventResult process_event(const Event& event, Timestamp now, const Catalog& catalog);
  void process(ReserveCommandItem& command, Timestamp now, const Catalog& catalog);
  void process(EndReservationCommand& command, Timestamp now, const Catalog& catalog);
  void process(GetReservationCommand& command, Timestamp now, const Catalog& catalog);
  void process(GetStockCommand& command, Timestamp now, const Catalog& catalog);
  void process(PutPurchaseOrderCommand& command, Timestamp now, const Catalog& catalog);
  // Decides and applies a checked fact: ledger record, dirty positions, order progress.
  // With `judge_with`, the fact is also checked for statistical exceptions (a source's
  // facts; stockd's own are not judged).
  EventDecision apply_fact(const Event& event, int64_t source_priority, Timestamp now,
                           uint64_t& version_after, bool carried_here = true,
                           const Catalog* judge_with = nullptr);
  void record_exception(const Event& event, const ExceptionFinding& finding, Timestamp occurred_at,
                        Timestamp now);
  // A shipment or cancellation naming one of stockd's orders closes its allocation.
  void note_order_progress(const Event& event);
  // Orders (the coordinator, while this shard is paused): allocation progress records.
  // `placing` = the order is being placed now, so no earlier record can exist on disk
  // (a re-route may come back to a node whose allocation was closed: that one is read).
  const AllocationProgress& add_allocation(const std::string& order_id, const std::string& sku,
                                           const std::string& location, int64_t quantity,
                                           bool placing);
  // Cancels `quantity` open units of an allocation as a cancellation fact of stockd's.
  void cancel_allocation(const AllocationProgress& progress, int64_t quantity,
                         const std::string& reason, Timestamp now);
  const AllocationProgress* find_allocation(const std::string& key) const {
    const auto found = allocations_.find(key);
    return found == allocations_.end() ? nullptr : &found->second;
  }
  void reserve_backorder(ReserveCommandItem& command, ReserveResult& result, Timestamp now);
  void receive_against_purchase_order(const Event& event, Timestamp now);
  void write_purchase_order(const PurchaseOrder& po);
  void expire_due(Timestamp now);
  ReserveResult end(Reservation& reservation, ReservationState to, std::string order_id,
                    Timestamp now);
  void flush();
  // A durable write failed: retries it (recovering the store between tries, backing off
  // up to a second) until it succeeds; nothing of the batch is answered before. While it
  // retries the shard refuses new commands and the engine reports storage degraded.
  void write_until_durable(Status failure);
  std::atomic<bool> storage_stuck_{false};
  // Adds the outbox rows (and published values) for this batch's dirty positions.
  void collect_outbox(Timestamp now);
  // While paused: moves this shard's pending changes into `into` (for one merged write).
  void export_batch(WriteSet& into);
  // Places an active hold (the caller checked it fits); returns the held position.
  const Position& place_hold(const std::string& sku, const std::string& location,
                             const std::string& channel, int64_t quantity, Duration ttl,
                             Timestamp now);
  // Answers `done` with `result` once this batch is durable.
  template <typename Result>
  void defer_reply(std::function<void(Result)>& done, Result result);

  PositionSlot& slot(const std::string& sku, const std::string& location);
  const Position* find(const std::string& sku, const std::string& location) const;
  void mark_dirty(const std::string& sku, const std::string& location, PositionSlot& slot);
  void append(LedgerRecord record, Timestamp now);
  std::string new_reservation_id(std::string_view sku);
  // Cluster mode: takes the time and place of the next logged command (time never goes
  // back; offsets only forward) and expires the holds due by that time.
  void advance_log(const LogStamp& stamp);

  Engine& engine_;
  const uint32_t index_;
  BoundedQueue<Command> queue_;
  std::thread thread_;
  ShardStats stats_;
  mutable std::mutex metrics_mutex_;
  EngineMetrics metrics_;        // guarded by metrics_mutex_
  EngineMetrics batch_metrics_;  // this batch's, merged in flush()
  std::unordered_map<std::string, LocationHealth> location_health_;  // guarded by metrics_mutex_
  std::unordered_set<std::string> negative_;  // sku \0 location with on_hand < 0
  std::atomic<int64_t> promises_at_risk_now_{0};
  void note_position(const std::string& sku, const std::string& location, const Position& position);
  std::mt19937_64 random_;
  const bool log_driven_;
  Timestamp log_time_{};              // the partition's time: the newest stamp applied
  uint64_t log_next_offset_ = 0;      // the offset after the last one applied
  uint64_t log_applying_offset_ = 0;  // the offset of the command being applied
  bool log_moved_ = false;            // this batch applied logged commands: write the checkpoint
  mutable std::mutex log_mutex_;
  LogCheckpoint durable_log_;  // guarded by log_mutex_; moved on after each durable write

  // Owned state.
  NodeArena position_memory_;  // before positions_: it outlives the maps
  std::pmr::unordered_map<std::string, LocationMap> positions_{&position_memory_};
  std::unordered_map<std::string, Reservation> active_;
  std::multimap<Timestamp, std::string> expiry_;                    // expires_at -> reservation id
  std::unordered_map<std::string, PurchaseOrder> purchase_orders_;  // by id, open or not
  std::unordered_map<std::string, std::vector<std::string>> po_ids_by_sku_;
  // Committed backorder promises (active ones are in active_), by reservation id.
  std::unordered_map<std::string, Reservation> committed_promises_;
  // Open order allocations (quantity not yet shipped or cancelled), by allocation_key.
  std::unordered_map<std::string, AllocationProgress> allocations_;
  ChainHead head_;
  uint64_t outbox_sequence_ = 0;
  // What the outbox last announced, per SKU and channel.
  std::unordered_map<std::string, std::vector<std::pair<std::string, PublishedAvailability>>>
      published_;

  // The batch being built; cleared by flush().
  uint64_t batch_number_ = 1;
  WriteSet write_set_;
  struct DirtyPosition {
    const std::string* sku;
    const std::string* location;
    PositionSlot* slot;
  };
  std::vector<DirtyPosition> dirty_;
  std::unordered_map<std::string, PendingKey> pending_keys_;
  std::vector<std::string> held_keys_;
  std::unordered_map<std::string, Reservation> ended_this_batch_;
  std::unordered_map<std::string, RequestKeyEntry> pending_request_keys_;
  std::vector<std::function<void()>> replies_;
  std::string current_principal_;  // who the promise being changed is for (ledger records)
  std::string last_hold_id_;       // the id place_hold() last created
  std::unordered_map<std::string, Timestamp> fact_at_;  // newest occurred_at per SKU this batch
};

}  // namespace stockd
