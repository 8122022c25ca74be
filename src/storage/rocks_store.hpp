// The engine's Store on RocksDB: one database in `data_dir`, column families for the
// ledger, positions, idempotency keys, reservations and configuration. Every write
// is one WriteBatch with sync=true; RocksDB groups concurrent shards' writes into one
// fsync. The only file that includes <rocksdb/...> is rocks_store.cpp.
#pragma once

#include <memory>
#include <string>

#include "base/time.hpp"
#include "engine/store.hpp"

namespace rocksdb {
class Env;
}

namespace stockd {

struct RocksStoreOptions {
  std::string data_dir = "./data";
  Duration idempotency_retention = std::chrono::seconds{7 * 24 * 3600};
  Duration request_key_retention = std::chrono::seconds{24 * 3600};
  bool sync_writes = true;  // false only for benchmarks that say so
  // The simulator's throwaway stores: no write-ahead log (nothing to recover), no
  // compression. Never for a store that keeps facts.
  bool scratch = false;
  // At open, read every table file and check every block's checksum, so a store damaged
  // anywhere (not only at a stream's tail) is refused before any stock is served. Costs a
  // read of the whole store (docs/RELIABILITY.md has the figure).
  bool verify_checksums_at_open = true;
  // Memory bounds, shared by every column family: the block cache (which also holds the
  // tables' index and filter blocks, so they do not grow outside it as the store grows)
  // and all memtables together (a flush is forced beyond it).
  size_t block_cache_bytes = size_t{128} << 20;
  size_t memtables_bytes_max = size_t{128} << 20;
  bool read_only = false;       // for audit tools; opens without creating anything
  rocksdb::Env* env = nullptr;  // tests: a file system that injects faults; null = default
};

class RocksStore final : public Store {
 public:
  // Opens (creating if needed) and checks the store: format marker and the tail of
  // every ledger stream. Returns null with `error` set when it is torn or corrupt.
  static std::unique_ptr<RocksStore> open(const RocksStoreOptions& options, std::string* error);
  ~RocksStore() override;

  Status write(const WriteSet& set) override;
  Status recover() override;
  uint64_t reopens() const override;
  std::optional<IdempotencyEntry> find_idempotency(std::string_view source,
                                                   std::string_view id) override;
  std::optional<Reservation> find_reservation(std::string_view id) override;
  std::optional<RequestKeyEntry> find_request_key(std::string_view key) override;
  std::optional<PurchaseOrder> find_purchase_order(std::string_view id) override;
  Status for_each_purchase_order(
      const std::function<void(const PurchaseOrder& po)>& visit) override;
  Status read_outbox(uint32_t shard, uint64_t after, size_t limit,
                     std::vector<OutboxRow>& out) override;
  uint64_t outbox_head(uint32_t shard) override;
  Status for_each_ledger_record_reverse(
      uint32_t stream, const std::function<bool(std::string_view bytes)>& visit) override;
  Status delete_outbox_through(uint32_t shard, uint64_t sequence) override;
  Status for_each_published(
      const std::function<void(std::string_view sku, std::string_view channel,
                               const PublishedAvailability& published)>& visit) override;
  Status put_aux(std::string_view key, std::string_view value) override;
  Status delete_aux(std::string_view key) override;
  Status put_aux_unsynced(std::string_view key, std::string_view value) override;
  std::optional<std::string> get_aux(std::string_view key) override;
  Status for_each_aux(
      std::string_view prefix,
      const std::function<void(std::string_view key, std::string_view value)>& visit) override;
  ChainHead chain_head(uint32_t stream) override;
  Status for_each_position(const std::function<void(std::string_view sku, std::string_view location,
                                                    const Position& position)>& visit) override;
  Status for_each_position_where(
      const std::function<bool(std::string_view sku)>& wanted,
      const std::function<void(std::string_view sku, std::string_view location,
                               const Position& position)>& visit) override;
  Status for_each_position_of(std::string_view sku,
                              const std::function<void(std::string_view location,
                                                       const Position& position)>& visit) override;
  Status for_each_active_reservation(
      const std::function<void(const Reservation& reservation)>& visit) override;
  Status load_catalog(Catalog& out) override;
  Status put_config(ConfigKind kind, std::string_view id, std::string_view bytes) override;
  Status delete_config(ConfigKind kind, std::string_view id) override;
  Status for_each_ledger_record(const std::function<bool(uint32_t stream, uint64_t sequence,
                                                         std::string_view bytes)>& visit) override;

  // Tests only: overwrite one stored ledger record's bytes (to prove tampering is found).
  Status tamper_ledger_record_for_test(uint32_t stream, uint64_t sequence, std::string bytes);
  // Writes the memtables to table files (a scratch store before it is copied; tests that
  // damage table files).
  Status flush();

  struct Impl;

 private:
  explicit RocksStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Key layouts, exposed for tests and tools.
std::string position_key(std::string_view sku, std::string_view location);
std::string ledger_key(uint32_t stream, uint64_t sequence);

}  // namespace stockd
