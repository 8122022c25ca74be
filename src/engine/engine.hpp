// The engine: N shards by hash of the SKU, each one thread that owns its positions and
// reservations, drains a bounded queue, applies a batch, writes it in one atomic
// durable write, and only then answers. A single writer per SKU gives correctness
// without locks; batching gives throughput (group commit).
//
// Thread-safety: every public method may be called from any thread. Callbacks run on
// a shard thread after the durable write; they must be quick and must not call back
// into the engine synchronously (post to your own executor instead).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/histogram.hpp"
#include "base/time.hpp"
#include "core/availability.hpp"
#include "core/catalog.hpp"
#include "core/event.hpp"
#include "core/event_rules.hpp"
#include "core/order.hpp"
#include "core/position.hpp"
#include "core/purchase_order.hpp"
#include "core/reservation.hpp"
#include "core/routing.hpp"
#include "core/stock_exception.hpp"
#include "core/vendor.hpp"
#include "engine/bounded_queue.hpp"
#include "engine/command_log.hpp"
#include "engine/store.hpp"

namespace stockd {

struct EngineOptions {
  size_t shards = 0;  // 0 = one per core
  RuleOptions rules;
  Duration idempotency_retention = std::chrono::seconds{7 * 24 * 3600};
  Duration request_key_retention = std::chrono::seconds{24 * 3600};
  size_t queue_commands_max = 65'536;
  size_t batch_commands_max = 4'096;
  uint64_t random_seed = 0;  // 0 = from std::random_device; reservation ids only
  // Cluster mode (engine/command_log.hpp): shard i applies log partition i; time, hold
  // expiry and new reservation ids come from the log, never from the clock or a random
  // source, and each batch writes its partition's checkpoint.
  bool log_driven = false;
};

struct EventResult {
  std::string id;
  EventStatus status = EventStatus::rejected;
  uint64_t version = 0;  // the position's version after the event (or at its first result)
  EventError error = EventError::none;
  std::string error_field;  // the offending JSON field, "" for the whole event
  uint32_t anomalies = 0;   // Anomaly bits
  // This request's change of on_hand at the event's location (for a count: counted −
  // system, its variance). 0 for duplicates and rejections.
  int64_t on_hand_delta = 0;
};

struct PositionView {
  std::string location;
  Position position;
};

struct StockView {
  std::string sku;
  std::vector<PositionView> positions;         // by location id
  std::vector<PurchaseOrder> purchase_orders;  // open POs of this SKU
  bool overloaded = false;                     // the shard's queue was full: nothing was read
  // Its shard is stuck retrying a failed durable write: this is the last durable state,
  // read from the store (memory holds changes nobody has been told of yet).
  bool from_last_durable_state = false;
};

struct ReserveCandidate {
  ReserveCandidate(std::string location_id, SellableRule sellable_rule = {})
      : location(std::move(location_id)), rule(sellable_rule) {}
  std::string location;
  SellableRule rule;  // the channel's buffer and protected units at this location
};

// The channel's pool as reservation candidates, most preferred first: one location if
// `location_id` names it, and only stores within `radius_km` of the shopper when one is
// given. `demand_factor` (a running promotion) widens the dynamic buffers.
std::vector<ReserveCandidate> pool_candidates(const Channel& channel, const Catalog& catalog,
                                              const std::string& location_id,
                                              std::optional<GeoPoint> shopper, double radius_km,
                                              Fulfilment fulfilment, double demand_factor = 1.0);

struct ReserveRequest {
  std::string sku;
  std::string channel;  // recorded on the reservation; "" for a direct location hold
  std::vector<ReserveCandidate> candidates;  // most preferred first
  int64_t quantity = 0;
  Duration ttl = std::chrono::seconds{900};
  // Idempotency-Key support: the outcome is stored under `request_key` in the same
  // durable write; a repeat with the same fingerprint replays it.
  std::string request_key;  // "" = none
  Sha256Digest request_fingerprint{};
  std::string principal;  // who asks (API token id), recorded in the ledger
  // Promise against open purchase orders at the candidates instead of on-hand stock.
  bool backorder = false;
  // A degraded channel: of the candidates that can hold it, the one with the most
  // sellable units left wins (the safest node), not the first.
  bool prefer_safest = false;
};

struct ReserveResult {
  ReserveStatus status = ReserveStatus::ok;
  Reservation reservation;  // valid when status is ok, or found but not active
  int64_t available = 0;    // with insufficient_stock: the most any candidate could sell
  uint64_t version = 0;     // the position's version after the change
  bool replayed = false;    // the stored outcome of an earlier request with the same key
};

// A reservation of several SKUs at one location, all at once or none (bundles and
// multi-line carts). Lines naming the same SKU are summed before the guard.
struct GroupLine {
  std::string sku;
  int64_t quantity = 0;  // per unit of the group
};

struct GroupReserveRequest {
  std::string label;  // the bundle SKU, or "" for a plain multi-line hold
  std::string channel;
  std::vector<GroupLine> lines;
  int64_t units = 1;                         // every line's quantity is multiplied by this
  std::vector<ReserveCandidate> candidates;  // locations, most preferred first
  Duration ttl = std::chrono::seconds{900};
  // Idempotency-Key: the outcome is stored under `request_key` in the group's durable write.
  std::string request_key;  // "" = none
  Sha256Digest request_fingerprint{};
  std::string principal;  // who asks (API token id), recorded in the ledger
};

struct GroupReservation {
  std::string id;  // "g" + 16 hex digits
  std::string label;
  std::string channel;
  std::string location;
  int64_t units = 0;
  ReservationState state = ReservationState::active;
  std::vector<std::string> member_ids;
  std::vector<Reservation> members;  // filled in results
};

struct GroupResult {
  ReserveStatus status = ReserveStatus::ok;
  GroupReservation group;
  int64_t available = 0;  // with insufficient_stock: the most group units one location could hold
  bool replayed = false;  // the stored outcome of an earlier request with the same key
};

struct PurchaseOrderResult {
  PurchaseOrderError error = PurchaseOrderError::none;
  bool created = false;
  bool overloaded = false;
  PurchaseOrder purchase_order;
  size_t promises_at_risk = 0;  // backorder promises this change put at risk
};

// An order to allocate and route (engine/orders.cpp). The caller fills `order` (id,
// channel, ship_to, policy, lines, request fingerprint) and the candidate nodes: the
// channel's pool with its sellable rule per node.
struct OrderRequest {
  Order order;
  std::vector<ReserveCandidate> candidates;
  int64_t cents_per_km = 2;  // the distance part of a shipment's cost
  std::string principal;     // who places it (API token id), recorded in the ledger
};

// Outcomes of order commands. Names are the wire codes.
enum class OrderStatus : uint8_t {
  ok = 0,
  invalid_order = 1,  // lines, quantities or SKUs out of range
  no_route = 2,       // no plan within the policy: nothing was held
  reservation_not_found = 3,
  reservation_not_active = 4,  // a line's reservation is committed, released or expired
  reservation_mismatch = 5,    // a line's reservation is for another SKU or quantity
  order_exists = 6,            // the same order id with another request
  order_not_found = 7,
  order_closed = 8,  // nothing is left open to cancel or re-route
  not_shipped = 9,   // delivered before anything shipped
  overloaded = 10,
  already_delivered = 11,  // delivered before, at another time
};
std::string_view order_status_name(OrderStatus status);

// Why each candidate node is or is not in the plan (the explanation).
struct NodeConsidered {
  std::string location;
  std::string
      verdict;  // shipping | cheaper_plan | out_of_radius | nothing_to_ship | unknown_location
  int64_t shipment_cost_cents = 0;
  double distance_km = 0;
  std::vector<int64_t> shippable;  // per demand (the SKUs in `demands`)
};

struct OrderResult {
  OrderStatus status = OrderStatus::ok;
  Order order;
  std::vector<AllocationProgress> progress;  // per (sku, location) the order allocated at
  std::vector<RouteDemand> demands;          // routed SKUs (lines not covered by reservations)
  std::vector<NodeConsidered> considered;    // placing and re-routing: every candidate node
  uint64_t search_steps = 0;
  bool replayed = false;  // an earlier request with the same id and body: its order, unchanged
  std::string detail;     // for refusals: what was missing
  int64_t open_units() const;
  int64_t shipped_units() const;
};

struct EngineStats {
  uint64_t events_applied = 0;
  uint64_t events_duplicate = 0;
  uint64_t events_superseded = 0;
  uint64_t events_rejected = 0;
  uint64_t anomalies = 0;
  uint64_t clock_drift_clamped = 0;
  uint64_t reservations_created = 0;
  uint64_t reservations_committed = 0;
  uint64_t reservations_released = 0;
  uint64_t reservations_expired = 0;
  uint64_t reservations_refused = 0;
  uint64_t batches_written = 0;
  uint64_t write_micros_total = 0;
  uint64_t overloaded = 0;
  uint64_t promises_at_risk = 0;
  std::array<uint64_t, kExceptionKindSlots> exceptions_detected{};  // by ExceptionKind value
  size_t queue_depth = 0;
};

// Distributions and labelled counts for /metrics and the KPIs (merged over shards).
struct EventCountKey {
  std::string source;  // a registered source, or "unknown"
  std::string type;    // an event type name, or "unknown"
  std::string status;  // applied | duplicate | superseded | rejected
  auto operator<=>(const EventCountKey&) const = default;
};
struct EngineMetrics {
  std::map<EventCountKey, uint64_t> events;
  std::map<std::string, Histogram> event_lag_seconds_by_source;  // received − occurred
  std::map<std::string, Histogram> event_lag_seconds_by_location;
  Histogram batch_commands = Histogram::sizes();
  Histogram write_seconds = Histogram::seconds();
  uint64_t availability_changes = 0;  // outbox availability rows written
  void merge(const EngineMetrics& other);
};

// The state of each location as its positions tell it (for alerts): the newest fact,
// the newest count, and how many positions have a negative on-hand.
struct LocationHealth {
  Timestamp last_event_at{};
  Timestamp last_count_at{};
  int64_t negative_positions = 0;
};

class Shard;
class InflightKeys;

class Engine {
 public:
  // Loads positions, reservations, catalog and chain heads from `store` and starts the
  // shard threads. `store` and `clock` must outlive the engine. Returns null and sets
  // `error` when the stored state is inconsistent.
  static std::unique_ptr<Engine> open(Store& store, const Clock& clock, EngineOptions options,
                                      std::string* error);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Applies events (any SKUs); `done` gets one result per event, in input order.
  void submit_events(std::vector<Event> events, std::function<void(std::vector<EventResult>)> done);

  void reserve(ReserveRequest request, std::function<void(ReserveResult)> done);
  // Ends an active reservation: committed (to `order_id`), released or expired.
  void end_reservation(std::string id, ReservationState to, std::string order_id,
                       std::function<void(ReserveResult)> done, std::string principal = "");
  void get_reservation(std::string id, std::function<void(ReserveResult)> done);
  void get_stock(std::string sku, std::function<void(StockView)> done);
  // Multi-SKU holds, all at once or none: the involved shards pause at a batch boundary,
  // the coordinator decides every line first, applies, and writes all their changes in
  // one atomic durable write. One group operation runs at a time (no deadlock).
  void reserve_group(GroupReserveRequest request, std::function<void(GroupResult)> done);
  void end_group(std::string id, ReservationState to, std::string order_id,
                 std::function<void(GroupResult)> done, std::string principal = "");
  // A group as stored, with its members as they are now.
  void get_group(std::string id, std::function<void(GroupResult)> done);
  // Orders (engine/orders.cpp), run by the coordinator like groups, so an order's
  // allocations on every shard are decided on one consistent view and written in one
  // atomic durable write, or not at all.
  void place_order(OrderRequest request, std::function<void(OrderResult)> done);
  // Cancels what is still open (allocated, not shipped) with `reason`: stock returns.
  void cancel_order(std::string id, std::string reason, std::function<void(OrderResult)> done,
                    std::string principal = "");
  // Re-routes what is still open at `from_locations` (all open allocations if empty) to
  // other nodes, as a manual intervention. `request` carries the candidates and rate.
  void reroute_order(std::string id, std::vector<std::string> from_locations, std::string reason,
                     OrderRequest request, std::function<void(OrderResult)> done);
  void mark_delivered(std::string id, Timestamp delivered_at,
                      std::function<void(OrderResult)> done);
  void get_order(std::string id, std::function<void(OrderResult)> done);
  // Every stored order (for KPIs); visit returns nothing.
  void for_each_order(
      const std::function<void(const Order&, const std::vector<AllocationProgress>&)>& visit);
  // Opens or changes a purchase order (raises or lowers `incoming` at its location).
  void put_purchase_order(PurchaseOrder po, std::function<void(PurchaseOrderResult)> done);
  // ASNs: announced durably; receipts naming one count against its PO (for that SKU).
  // The same id with the same content again is accepted unchanged (created = false).
  struct AsnResult {
    AsnError error = AsnError::none;
    bool created = false;
    Asn asn;
  };
  AsnResult put_asn(Asn asn);
  std::optional<Asn> find_asn(std::string_view id);
  std::vector<Asn> asns_of_vendor(std::string_view vendor);
  // Statistical exceptions (core/stock_exception.hpp) as stored, in key order; false
  // when the store fails.
  bool stock_exceptions(std::vector<StockException>& out);
  std::optional<StockException> find_stock_exception(std::string_view id);
  enum class ResolveError : uint8_t { none, not_found, already_resolved };
  struct ResolveResult {
    ResolveError error = ResolveError::none;
    StockException exception;
  };
  // Closes an exception durably with what was found; a second resolve is refused.
  ResolveResult resolve_exception(std::string_view id, std::string resolved_by,
                                  std::string resolution);
  // The PO an ASN fulfils, "" when none (read by shards on receipts).
  std::string asn_purchase_order(std::string_view asn_id) const;
  // A purchase order as durably stored (any shard).
  std::optional<PurchaseOrder> find_purchase_order(std::string_view id) {
    return store_.find_purchase_order(id);
  }

  // Configuration: checked, written durably, then published to every shard.
  ConfigCheck put_location(Location location);
  ConfigCheck put_source(Source source);
  ConfigCheck put_channel(Channel channel);
  ConfigCheck put_bundle(Bundle bundle);
  ConfigCheck put_promotion(Promotion promotion);
  // Removes an entry; a location that a channel's pool names is refused (location_in_use).
  // Positions at a removed location stay in the ledger; new events naming it are refused.
  ConfigCheck remove_config(ConfigKind kind, std::string_view id);
  std::shared_ptr<const Catalog> catalog() const { return catalog_.load(); }

  EngineStats stats() const;
  EngineMetrics metrics() const;
  std::map<std::string, LocationHealth> location_health() const;
  // Backorder promises now past their locked window (their purchase order slipped).
  int64_t promises_at_risk_now() const;
  // Storage faults (docs/RELIABILITY.md): a shard whose durable write failed retries it
  // until the store takes it and refuses new commands meanwhile (answered `overloaded`);
  // nothing unwritten is ever answered. Degraded while any shard is stuck.
  bool storage_degraded() const { return degraded_shards_.load() > 0; }
  uint64_t storage_write_failures() const { return storage_write_failures_.load(); }
  // Stock reads answered from the store because their shard could not write.
  uint64_t durable_state_reads() const { return durable_state_reads_.load(); }
  uint64_t storage_reopens() const { return store_.reopens(); }
  std::string storage_error() const {
    std::lock_guard lock(storage_error_mutex_);
    return storage_error_;
  }
  // Stock exceptions not yet resolved (counted at open, kept current).
  int64_t open_stock_exceptions() const { return open_exceptions_.load(); }
  size_t shard_count() const { return shards_.size(); }
  static uint32_t slot_of(std::string_view sku);
  // The slot a reservation id names (ids carry their SKU's slot); nullopt when malformed.
  static std::optional<uint32_t> slot_of_reservation(std::string_view id);
  // The shard (and ledger stream) that owns `sku`.
  uint32_t shard_of(std::string_view sku) const {
    return static_cast<uint32_t>(slot_of(sku) % shards_.size());
  }

  // The outbox (rows are read from the Store): a generation that moves whenever a
  // durable write added rows, and a wait for it to move past `seen`.
  uint64_t outbox_generation() const;
  uint64_t wait_outbox(uint64_t seen, std::chrono::milliseconds timeout) const;
  // The last outbox sequence each shard has written (where a new consumer starts).
  std::vector<uint64_t> outbox_heads();
  // Raw position changes (stockd.stock.changed) are written to the outbox only while
  // some consumer wants them (they double the rows per event); consumers register here.
  void want_stock_changes(bool wanted) { stock_change_consumers_.fetch_add(wanted ? 1 : -1); }
  bool stock_changes_wanted() const { return stock_change_consumers_.load() > 0; }

  // Cluster mode (engine/command_log.hpp). With a log set, events, holds and reads of
  // them go to it (set before serving; the log outlives the engine's use of it).
  void set_command_log(CommandLog* log) { command_log_.store(log); }
  // Applying what was read back from partition `partition` of the log, in log order (the
  // caller feeds each partition from one thread, offsets increasing). These wait while
  // the shard's queue is full: a logged command is never refused for load. Every SKU must
  // belong to `partition` (shard_of), which the caller checks.
  void apply_logged_events(uint32_t partition, LogStamp stamp, std::vector<Event> events,
                           std::function<void(std::vector<EventResult>)> done);
  void apply_logged_reserve(uint32_t partition, LogStamp stamp, ReserveRequest request,
                            std::function<void(ReserveResult)> done);
  void apply_logged_end(uint32_t partition, LogStamp stamp, std::string id, ReservationState to,
                        std::string order_id, std::string principal,
                        std::function<void(ReserveResult)> done);
  // A stamp without a command (the owner's clock, appended to the log now and then):
  // moves the partition's time on, expiring the holds due by it.
  void apply_logged_tick(uint32_t partition, LogStamp stamp);
  // Reads of this node's own state (the owner answering for the log adapter).
  void read_local_stock(std::string sku, std::function<void(StockView)> done);
  void read_local_reservation(std::string id, std::function<void(ReserveResult)> done);
  // A configuration change read back from the configuration topic (cluster mode): put
  // (`bytes` = the stored encoding) or remove (`bytes` empty), here, durably.
  ConfigCheck apply_logged_config(ConfigKind kind, std::string_view id, std::string_view bytes);
  // How far partition `partition` has been applied durably.
  LogCheckpoint log_checkpoint(uint32_t partition) const;

  // Finishes every queued command, writes, answers, and stops the shard threads.
  void stop();

 private:
  friend class Shard;
  Engine(Store& store, const Clock& clock, EngineOptions options);
  Shard& shard_for_sku(std::string_view sku);
  Shard* shard_for_reservation(std::string_view id);
  template <typename Entry>
  ConfigCheck put_config(Entry entry);
  template <typename Entry>
  ConfigCheck put_config_here(Entry entry);  // checked, stored, published to the shards
  ConfigCheck remove_config_here(ConfigKind kind, std::string_view id);

  Store& store_;
  const Clock& clock_;
  const EngineOptions options_;
  std::atomic<std::shared_ptr<const Catalog>> catalog_;
  std::mutex config_mutex_;  // serialises configuration writers
  std::unique_ptr<InflightKeys> inflight_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<bool> stopped_{false};
  std::atomic<CommandLog*> command_log_{nullptr};
  // Queues a logged command, waiting while the queue is full; false once stopped.
  template <typename Item>
  bool push_logged(uint32_t partition, Item& item);
  // The coordinator: one thread runs group operations one at a time.
  void run_coordinator();
  void with_paused_shards(const std::vector<std::string>& skus, const std::function<void()>& work);
  OrderResult read_order(std::string_view id);
  struct PendingOrder {
    OrderRequest request;
    std::function<void(OrderResult)> done;
  };
  void drain_orders();
  void place_group(std::vector<PendingOrder>& group);
  void place_one(OrderRequest& request, OrderResult& result, Timestamp now, WriteSet& merged);
  std::mutex orders_mutex_;
  std::deque<PendingOrder> orders_pending_;  // guarded by orders_mutex_
  bool drain_queued_ = false;                // guarded by orders_mutex_
  bool route_and_allocate(const OrderRequest& request,
                          const std::vector<std::pair<uint32_t, int64_t>>& pieces,
                          const std::set<std::string>& fixed_locations,
                          const std::set<std::string>& excluded, Timestamp now, OrderResult& result,
                          bool placing);
  std::unique_ptr<BoundedQueue<std::function<void()>>> coordinator_queue_;
  std::thread coordinator_;
  uint64_t group_serial_ = 0;
  void notify_outbox();
  mutable std::mutex outbox_mutex_;
  mutable std::condition_variable outbox_changed_;
  uint64_t outbox_generation_ = 0;
  std::atomic<int> stock_change_consumers_{0};
  mutable std::mutex asn_mutex_;
  std::mutex exceptions_mutex_;  // one resolver at a time: read, change, write
  std::atomic<int64_t> open_exceptions_{0};
  // A durable write failed: retries it (recovering the store between tries, backing off
  // 20 ms -> 1 s; the write is idempotent) until it succeeds, reporting storage degraded
  // meanwhile. Memory is ahead of the disk, so nothing of the write may be answered before
  // this returns. At shutdown with the disk still failing it stops the process after 5
  // tries (recovery starts from the last durable batch). `who` names the writer in logs.
  void write_until_durable(const WriteSet& set, const std::string& who, Status failure);
  // Writes `set` durably, through write_until_durable() when the store refuses it (the
  // coordinator's merged order and group writes).
  void write_durably(const WriteSet& set, const std::string& who);
  void storage_failed(const std::string& who, const std::string& message, bool first);
  void storage_recovered(const std::string& who);
  std::atomic<int> degraded_shards_{0};
  std::atomic<uint64_t> storage_write_failures_{0};
  std::atomic<uint64_t> durable_state_reads_{0};
  StockView read_durable_stock(std::string sku);
  mutable std::mutex storage_error_mutex_;
  std::string storage_error_;  // the last failure, "" once every shard wrote again
  std::map<std::string, std::string, std::less<>> asn_purchase_orders_;  // asn -> PO id
};

}  // namespace stockd
