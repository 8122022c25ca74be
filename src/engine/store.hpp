// The storage port the engine needs. One implementation is RocksDB (src/storage); the
// engine never includes a storage library. Thread-safety: every method may be called
// from any shard thread concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/sha256.hpp"
#include "base/status.hpp"
#include "core/catalog.hpp"
#include "core/encoding.hpp"
#include "core/ledger.hpp"
#include "core/outbox.hpp"
#include "core/position.hpp"
#include "core/reservation.hpp"

namespace stockd {

struct ChainHead {
  uint64_t sequence = 0;  // 0 = empty stream
  Sha256Digest hash{};    // all zero for an empty stream
};

struct PositionWrite {
  std::string sku;
  std::string location;
  Position position;
};

struct IdempotencyWrite {
  std::string source;
  std::string id;
  IdempotencyEntry entry;
};

struct PublishedWrite {
  std::string sku;
  std::string channel;
  PublishedAvailability published;
};

struct RequestKeyWrite {
  std::string key;  // scoped by the caller (principal + Idempotency-Key)
  RequestKeyEntry entry;
};

// Everything one shard batch changes; written all or nothing, durably.
struct WriteSet {
  std::vector<LedgerRecord> ledger;
  std::vector<PositionWrite> positions;
  std::vector<IdempotencyWrite> idempotency;
  std::vector<Reservation> reservations;  // upserts by id
  std::vector<RequestKeyWrite> request_keys;
  std::vector<PurchaseOrder> purchase_orders;            // upserts by id
  std::vector<std::pair<std::string, std::string>> aux;  // aux records, written atomically
  std::vector<OutboxRow> outbox;                         // notifications of these changes
  std::vector<PublishedWrite> published;                 // what the outbox rows announced
  bool empty() const {
    return ledger.empty() && positions.empty() && idempotency.empty() && reservations.empty() &&
           request_keys.empty() && purchase_orders.empty() && aux.empty() && outbox.empty() &&
           published.empty();
  }
  void clear() {
    ledger.clear();
    positions.clear();
    idempotency.clear();
    reservations.clear();
    request_keys.clear();
    purchase_orders.clear();
    aux.clear();
    outbox.clear();
    published.clear();
  }
};

enum class ConfigKind : uint8_t {
  location = 'L',
  source = 'S',
  channel = 'C',
  bundle = 'K',
  promotion = 'P',
};

class Store {
 public:
  virtual ~Store() = default;

  // Atomic and durable (fsync'ed) before it returns ok.
  virtual Status write(const WriteSet& set) = 0;
  // After a failed write: try to make the store writable again (RocksDB keeps refusing
  // writes after an I/O error until resumed). Ok when it is; the caller then writes again.
  // It may close and reopen the database (RocksDB will not resume after an I/O error on
  // its log); calls on other threads wait meanwhile.
  virtual Status recover() { return Status::ok(); }
  // How many times recover() reopened the store (a metric).
  virtual uint64_t reopens() const { return 0; }

  // Reads. A storage I/O error on a read stops the process (it cannot be answered
  // truthfully); "not found" is nullopt.
  virtual std::optional<IdempotencyEntry> find_idempotency(std::string_view source,
                                                           std::string_view id) = 0;
  virtual std::optional<Reservation> find_reservation(std::string_view id) = 0;
  virtual std::optional<RequestKeyEntry> find_request_key(std::string_view key) = 0;
  virtual std::optional<PurchaseOrder> find_purchase_order(std::string_view id) = 0;
  virtual Status for_each_purchase_order(
      const std::function<void(const PurchaseOrder& po)>& visit) = 0;
  virtual ChainHead chain_head(uint32_t stream) = 0;

  // The outbox of one shard: rows with sequence > `after`, in order, at most `limit`.
  virtual Status read_outbox(uint32_t shard, uint64_t after, size_t limit,
                             std::vector<OutboxRow>& out) = 0;
  // The last sequence written for `shard` (0 = none yet, or all deleted and none since).
  virtual uint64_t outbox_head(uint32_t shard) = 0;
  // Drops rows every consumer has passed (durable; not in the atomic batches).
  virtual Status delete_outbox_through(uint32_t shard, uint64_t sequence) = 0;
  virtual Status for_each_published(
      const std::function<void(std::string_view sku, std::string_view channel,
                               const PublishedAvailability& published)>& visit) = 0;

  // One SKU's stored positions, by location: the last durable state (reads served
  // while its shard cannot write).
  virtual Status for_each_position_of(
      std::string_view sku,
      const std::function<void(std::string_view location, const Position& position)>& visit) = 0;

  // Start-up loading, in key order.
  virtual Status for_each_position(
      const std::function<void(std::string_view sku, std::string_view location,
                               const Position& position)>& visit) = 0;
  // The same for the SKUs `wanted` says yes to, asked before a position is decoded (so
  // that several threads can each load their share of one scan's work).
  virtual Status for_each_position_where(
      const std::function<bool(std::string_view sku)>& wanted,
      const std::function<void(std::string_view sku, std::string_view location,
                               const Position& position)>& visit) = 0;
  virtual Status for_each_active_reservation(
      const std::function<void(const Reservation& reservation)>& visit) = 0;
  virtual Status load_catalog(Catalog& out) = 0;

  // Configuration: durable upsert or removal of one entry.
  virtual Status put_config(ConfigKind kind, std::string_view id, std::string_view bytes) = 0;
  virtual Status delete_config(ConfigKind kind, std::string_view id) = 0;

  // Auxiliary records outside the domain (API tokens): durable put/delete, and a scan
  // of the keys starting with `prefix`.
  virtual Status put_aux(std::string_view key, std::string_view value) = 0;
  virtual Status delete_aux(std::string_view key) = 0;
  // Written to the log but not fsync'ed: for progress markers (delivery cursors) whose
  // loss in a power cut only means some work is redone.
  virtual Status put_aux_unsynced(std::string_view key, std::string_view value) = 0;
  virtual std::optional<std::string> get_aux(std::string_view key) = 0;
  virtual Status for_each_aux(
      std::string_view prefix,
      const std::function<void(std::string_view key, std::string_view value)>& visit) = 0;

  // One stream's ledger from its newest record backwards; visit returns false to stop.
  virtual Status for_each_ledger_record_reverse(
      uint32_t stream, const std::function<bool(std::string_view bytes)>& visit) = 0;
  // The ledger in (stream, sequence) order, as stored bytes; visit returns false to stop.
  virtual Status for_each_ledger_record(
      const std::function<bool(uint32_t stream, uint64_t sequence, std::string_view bytes)>&
          visit) = 0;
};

}  // namespace stockd
