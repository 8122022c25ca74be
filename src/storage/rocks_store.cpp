#include "storage/rocks_store.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <shared_mutex>

#include "base/assert.hpp"
#include "base/bytes.hpp"
#include "core/ledger.hpp"

namespace stockd {
namespace {

constexpr char kFormatKey[] = "format";
constexpr char kFormatValue[] = "stockd-store-1";

enum Family : size_t {
  kDefault = 0,
  kLedger,
  kPositions,
  kIdempotency,
  kReservations,
  kActiveHolds,
  kConfig,
  kRequestKeys,
  kAux,
  kPurchaseOrders,
  kOutbox,
  kPublished,
  kFamilyCount,
};
constexpr const char* kFamilyNames[kFamilyCount] = {
    "default", "ledger",       "positions", "idempotency",     "reservations", "active_holds",
    "config",  "request_keys", "aux",       "purchase_orders", "outbox",       "published"};

std::string idempotency_key(std::string_view source, std::string_view id) {
  std::string key;
  key.reserve(source.size() + 1 + id.size());
  key.append(source).push_back('\0');
  key.append(id);
  return key;
}

std::string config_key(ConfigKind kind, std::string_view id) {
  std::string key(1, static_cast<char>(kind));
  key.push_back('/');
  key.append(id);
  return key;
}

[[noreturn]] void read_failed(const char* what, const rocksdb::Status& status) {
  std::fprintf(stderr, "stockd: storage read failed (%s): %s\n", what, status.ToString().c_str());
  std::abort();
}

// Drops idempotency and request keys a day after their retention ended; until
// compaction reaches them, the engine treats expired keys as absent anyway.
class RetentionFilter final : public rocksdb::CompactionFilter {
 public:
  using ReadTime = std::optional<Timestamp> (*)(std::string_view value);
  RetentionFilter(Duration retention, ReadTime read_time, const char* name)
      : retention_(retention), read_time_(read_time), name_(name) {}
  bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string*,
              bool*) const override {
    const std::optional<Timestamp> at = read_time_(std::string_view(value.data(), value.size()));
    if (!at) return false;  // never drop what we cannot read; verify reports it
    return *at + retention_ + std::chrono::hours{24} < SystemClock{}.now();
  }
  const char* Name() const override { return name_; }

 private:
  Duration retention_;
  ReadTime read_time_;
  const char* name_;
};

std::optional<Timestamp> idempotency_time(std::string_view value) {
  const auto entry = decode_idempotency_entry(value);
  if (!entry) return std::nullopt;
  return entry->received_at;
}

std::optional<Timestamp> request_key_time(std::string_view value) {
  const auto entry = decode_request_key_entry(value);
  if (!entry) return std::nullopt;
  return entry->created_at;
}

}  // namespace

std::string position_key(std::string_view sku, std::string_view location) {
  std::string key;
  key.reserve(sku.size() + 1 + location.size());
  key.append(sku).push_back('\0');
  key.append(location);
  return key;
}

std::string ledger_key(uint32_t stream, uint64_t sequence) {
  ByteWriter out;
  out.u32(stream);
  out.u64(sequence);
  return out.take();
}

struct RocksStore::Impl {
  RocksStoreOptions options;
  std::unique_ptr<RetentionFilter> idempotency_filter;
  std::unique_ptr<RetentionFilter> request_key_filter;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  rocksdb::WriteOptions write_options;
  // Every use of `db` holds this shared (see Use); reopening the database after an
  // error RocksDB will not resume from holds it exclusively.
  std::shared_mutex gate;
  std::atomic<uint64_t> reopens{0};
  std::shared_ptr<rocksdb::Cache> block_cache;  // one for every family (and every reopen)

  rocksdb::ColumnFamilyHandle* family(Family which) const { return families[which]; }

  ~Impl() { close_db(); }

  rocksdb::Status open_db() {
    STOCKD_ASSERT(db == nullptr);
    rocksdb::DBOptions db_options;
    db_options.create_if_missing = !options.read_only;
    db_options.create_missing_column_families = !options.read_only;
    db_options.paranoid_checks = true;
    if (options.env != nullptr) db_options.env = options.env;
    db_options.IncreaseParallelism(2);
    db_options.max_open_files = 512;
    if (!block_cache) block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
    db_options.write_buffer_manager =
        std::make_shared<rocksdb::WriteBufferManager>(options.memtables_bytes_max);

    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (size_t i = 0; i < kFamilyCount; ++i) {
      rocksdb::ColumnFamilyOptions family_options;
      rocksdb::BlockBasedTableOptions table;
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      table.whole_key_filtering = true;
      table.block_cache = block_cache;
      table.cache_index_and_filter_blocks = true;
      table.pin_l0_filter_and_index_blocks_in_cache = true;
      family_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
      if (options.scratch) family_options.compression = rocksdb::kNoCompression;
      if (i == kIdempotency) family_options.compaction_filter = idempotency_filter.get();
      if (i == kRequestKeys) family_options.compaction_filter = request_key_filter.get();
      descriptors.emplace_back(kFamilyNames[i], family_options);
    }

    rocksdb::DB* opened = nullptr;
    families.clear();
    const rocksdb::Status status =
        options.read_only
            ? rocksdb::DB::OpenForReadOnly(db_options, options.data_dir, descriptors, &families,
                                           &opened)
            : rocksdb::DB::Open(db_options, options.data_dir, descriptors, &families, &opened);
    db.reset(opened);
    return status;
  }

  void close_db() {
    if (!db) return;
    for (auto* handle : families) db->DestroyColumnFamilyHandle(handle);
    families.clear();
    (void)db->Close();  // after a storage error Close reports it again; nothing to add
    db.reset();
  }

  // Does the disk take a synced write again? Writes, syncs and removes a small file
  // through the store's own file system (so injected faults apply to it too).
  rocksdb::IOStatus probe_disk() {
    rocksdb::Env* env = options.env != nullptr ? options.env : rocksdb::Env::Default();
    const std::shared_ptr<rocksdb::FileSystem>& fs = env->GetFileSystem();
    const std::string path = options.data_dir + "/stockd-disk-probe";
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus status = fs->NewWritableFile(path, rocksdb::FileOptions(), &file, nullptr);
    if (status.ok()) status = file->Append("probe", rocksdb::IOOptions(), nullptr);
    if (status.ok()) status = file->Sync(rocksdb::IOOptions(), nullptr);
    if (file) {
      const rocksdb::IOStatus closed = file->Close(rocksdb::IOOptions(), nullptr);
      if (status.ok()) status = closed;
    }
    (void)fs->DeleteFile(path, rocksdb::IOOptions(), nullptr);
    return status;
  }

  // The positions whose keys start with `prefix` ("" = all), in key order; `wanted` (if
  // set) is asked for each SKU before its position is decoded.
  Status scan_positions(
      const rocksdb::ReadOptions& read, std::string_view prefix,
      const std::function<bool(std::string_view sku)>& wanted,
      const std::function<void(std::string_view, std::string_view, const Position&)>& visit) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read, family(kPositions)));
    for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
      const std::string_view key(it->key().data(), it->key().size());
      if (!key.starts_with(prefix)) break;
      const size_t separator = key.find('\0');
      if (separator == std::string_view::npos) {
        return Status::error("store is corrupt: unreadable position record");
      }
      const std::string_view sku = key.substr(0, separator);
      if (wanted && !wanted(sku)) continue;
      const auto position =
          decode_position(std::string_view(it->value().data(), it->value().size()));
      if (!position) return Status::error("store is corrupt: unreadable position record");
      visit(sku, key.substr(separator + 1), *position);
    }
    if (!it->status().ok()) return Status::error(it->status().ToString());
    return Status::ok();
  }

  // Checks the last two records of one stream: they decode, sit under the right key,
  // hash correctly and link. Returns the next stream id to look at, via `next_stream`.
  Status check_stream_tail(rocksdb::Iterator& it, uint32_t stream) {
    it.SeekForPrev(ledger_key(stream, std::numeric_limits<uint64_t>::max()));
    if (!it.Valid()) return Status::error("ledger stream " + std::to_string(stream) + " vanished");
    const auto last = decode_ledger_record(std::string_view(it.value().data(), it.value().size()));
    if (!last || last->stream != stream ||
        it.key().ToString() != ledger_key(stream, last->sequence)) {
      return Status::error("ledger stream " + std::to_string(stream) +
                           ": the last record is unreadable or misplaced");
    }
    if (chain_hash(last->prev_hash, *last) != last->hash) {
      return Status::error("ledger stream " + std::to_string(stream) + " record " +
                           std::to_string(last->sequence) + ": hash mismatch");
    }
    if (last->sequence > 1) {
      it.Prev();
      if (!it.Valid()) return Status::error("ledger stream " + std::to_string(stream) + ": gap");
      const auto previous =
          decode_ledger_record(std::string_view(it.value().data(), it.value().size()));
      if (!previous || previous->stream != stream || previous->sequence + 1 != last->sequence ||
          previous->hash != last->prev_hash) {
        return Status::error("ledger stream " + std::to_string(stream) + " record " +
                             std::to_string(last->sequence) + ": broken link to its predecessor");
      }
    }
    return Status::ok();
  }

  Status check_ledger_tails() {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), family(kLedger)));
    uint32_t stream = 0;
    while (true) {
      it->Seek(ledger_key(stream, 0));
      if (!it->Valid()) break;
      if (it->key().size() != 12) return Status::error("ledger holds a malformed key");
      ByteReader key(std::string_view(it->key().data(), it->key().size()));
      stream = key.u32();
      if (Status status = check_stream_tail(*it, stream); !status.is_ok()) return status;
      if (stream == std::numeric_limits<uint32_t>::max()) break;
      ++stream;
    }
    if (!it->status().ok()) return Status::error(it->status().ToString());
    return Status::ok();
  }
};

namespace {

// Holds a store's gate shared for one call. Re-entrant: a visitor called inside a scan
// may call back into the same store without taking the gate twice (a second shared lock
// by one thread could wait behind a reopen that waits for the first).
class Use {
 public:
  explicit Use(RocksStore::Impl& impl) : impl_(impl) {
    nested_ = std::find(held().begin(), held().end(), &impl_) != held().end();
    if (nested_) return;
    impl_.gate.lock_shared();
    held().push_back(&impl_);
  }
  ~Use() {
    if (nested_) return;
    held().erase(std::find(held().begin(), held().end(), &impl_));
    impl_.gate.unlock_shared();
  }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;

 private:
  static std::vector<const RocksStore::Impl*>& held() {
    thread_local std::vector<const RocksStore::Impl*> stores;
    return stores;
  }
  RocksStore::Impl& impl_;
  bool nested_ = false;
};

}  // namespace

RocksStore::RocksStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RocksStore::~RocksStore() = default;

std::unique_ptr<RocksStore> RocksStore::open(const RocksStoreOptions& options, std::string* error) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->idempotency_filter = std::make_unique<RetentionFilter>(
      options.idempotency_retention, &idempotency_time, "stockd.IdempotencyRetention");
  impl->request_key_filter = std::make_unique<RetentionFilter>(
      options.request_key_retention, &request_key_time, "stockd.RequestKeyRetention");

  rocksdb::Status status = impl->open_db();
  if (!status.ok()) {
    *error = "cannot open store in " + options.data_dir + ": " + status.ToString();
    return nullptr;
  }
  rocksdb::DB* db = impl->db.get();
  impl->write_options.sync = options.sync_writes;
  impl->write_options.disableWAL = options.scratch;
  STOCKD_ASSERT(!options.scratch || !options.sync_writes);

  std::string format;
  status = db->Get(rocksdb::ReadOptions(), impl->family(kDefault), kFormatKey, &format);
  if (status.IsNotFound()) {
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), impl->family(kLedger)));
    it->SeekToFirst();
    if (it->Valid()) {
      *error = "store in " + options.data_dir + " has a ledger but no format marker";
      return nullptr;
    }
    if (!options.read_only) {
      rocksdb::WriteOptions sync;
      sync.sync = true;
      status = db->Put(sync, impl->family(kDefault), kFormatKey, kFormatValue);
      if (!status.ok()) {
        *error = "cannot initialise store: " + status.ToString();
        return nullptr;
      }
    }
  } else if (!status.ok()) {
    *error = "cannot read store format: " + status.ToString();
    return nullptr;
  } else if (format != kFormatValue) {
    *error = "store in " + options.data_dir + " has format '" + format + "', expected '" +
             kFormatValue + "'";
    return nullptr;
  }

  if (options.verify_checksums_at_open) {
    status = db->VerifyChecksum(rocksdb::ReadOptions());
    if (!status.ok()) {
      *error = "store in " + options.data_dir + " is corrupt: " + status.ToString();
      return nullptr;
    }
  }
  if (Status check = impl->check_ledger_tails(); !check.is_ok()) {
    *error = "store in " + options.data_dir + " is corrupt: " + check.message();
    return nullptr;
  }
  return std::unique_ptr<RocksStore>(new RocksStore(std::move(impl)));
}

Status RocksStore::recover() {
  std::unique_lock exclusive(impl_->gate);  // no call of this thread's may hold it shared
  {
    const rocksdb::Status resumed = impl_->db->Resume();
    if (resumed.ok()) return Status::ok();
    // Busy: RocksDB is recovering by itself (after ENOSPC it waits for free space).
    if (resumed.IsBusy())
      return Status::error("the store cannot resume yet: " + resumed.ToString());
    // Anything else RocksDB will not resume from: an I/O error on its log leaves what the
    // disk holds uncertain until the files are read again. Once the disk takes a synced
    // write, close the database and open it again from what is durable (as a restart
    // would, without losing the engine's memory); the caller then writes its batch again.
    const rocksdb::IOStatus probe = impl_->probe_disk();
    if (!probe.ok()) {
      return Status::error("the store cannot resume (" + resumed.ToString() +
                           ") and the disk still fails: " + probe.ToString());
    }
  }
  impl_->close_db();
  const rocksdb::Status reopened = impl_->open_db();
  if (!reopened.ok()) {
    // The store is closed and will not open: nothing can be read or written truthfully.
    // A restart opens it from the last durable batch.
    std::fprintf(stderr, "stockd: the store could not be reopened after a storage error: %s\n",
                 reopened.ToString().c_str());
    std::abort();
  }
  impl_->reopens.fetch_add(1);
  std::fprintf(stderr, "stockd: the store was reopened after a storage error\n");
  return Status::ok();
}

uint64_t RocksStore::reopens() const { return impl_->reopens.load(); }

Status RocksStore::write(const WriteSet& set) {
  const Use use(*impl_);
  rocksdb::WriteBatch batch;
  for (const LedgerRecord& record : set.ledger) {
    STOCKD_ASSERT(record.sequence >= 1);
    STOCKD_ASSERT(chain_hash(record.prev_hash, record) == record.hash);
    batch.Put(impl_->family(kLedger), ledger_key(record.stream, record.sequence),
              encode_ledger_record(record));
  }
  for (const PositionWrite& write : set.positions) {
    STOCKD_ASSERT(write.position.reserved >= 0);
    STOCKD_ASSERT(write.position.allocated >= 0);
    batch.Put(impl_->family(kPositions), position_key(write.sku, write.location),
              encode_position(write.position));
  }
  for (const IdempotencyWrite& write : set.idempotency) {
    batch.Put(impl_->family(kIdempotency), idempotency_key(write.source, write.id),
              encode_idempotency_entry(write.entry));
  }
  for (const auto& [key, value] : set.aux) batch.Put(impl_->family(kAux), key, value);
  for (const OutboxRow& row : set.outbox) {
    STOCKD_ASSERT(row.sequence >= 1);
    batch.Put(impl_->family(kOutbox), ledger_key(row.shard, row.sequence), encode_outbox_row(row));
  }
  for (const PublishedWrite& write : set.published) {
    batch.Put(impl_->family(kPublished), position_key(write.sku, write.channel),
              encode_published(write.published));
  }
  for (const PurchaseOrder& po : set.purchase_orders) {
    batch.Put(impl_->family(kPurchaseOrders), po.id, encode_purchase_order(po));
  }
  for (const RequestKeyWrite& write : set.request_keys) {
    batch.Put(impl_->family(kRequestKeys), write.key, encode_request_key_entry(write.entry));
  }
  for (const Reservation& reservation : set.reservations) {
    batch.Put(impl_->family(kReservations), reservation.id, encode_reservation(reservation));
    // The index of holds to load at start: active reservations, and committed backorder
    // promises (their purchase order may still slip).
    const bool open_promise =
        reservation.backorder && reservation.state == ReservationState::committed;
    if (reservation.state == ReservationState::active || open_promise) {
      batch.Put(impl_->family(kActiveHolds), reservation.id, "");
    } else {
      batch.Delete(impl_->family(kActiveHolds), reservation.id);
    }
  }
  const rocksdb::Status status = impl_->db->Write(impl_->write_options, &batch);
  if (!status.ok()) return Status::error(status.ToString());
  return Status::ok();
}

std::optional<IdempotencyEntry> RocksStore::find_idempotency(std::string_view source,
                                                             std::string_view id) {
  const Use use(*impl_);
  std::string value;
  const rocksdb::Status status = impl_->db->Get(rocksdb::ReadOptions(), impl_->family(kIdempotency),
                                                idempotency_key(source, id), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) read_failed("idempotency", status);
  auto entry = decode_idempotency_entry(value);
  if (!entry) {
    std::fprintf(stderr, "stockd: corrupt idempotency entry for %.*s/%.*s\n",
                 static_cast<int>(source.size()), source.data(), static_cast<int>(id.size()),
                 id.data());
    std::abort();
  }
  return entry;
}

std::optional<Reservation> RocksStore::find_reservation(std::string_view id) {
  const Use use(*impl_);
  std::string value;
  const rocksdb::Status status =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->family(kReservations), id, &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) read_failed("reservation", status);
  auto reservation = decode_reservation(value);
  if (!reservation) {
    std::fprintf(stderr, "stockd: corrupt reservation %.*s\n", static_cast<int>(id.size()),
                 id.data());
    std::abort();
  }
  return reservation;
}

std::optional<RequestKeyEntry> RocksStore::find_request_key(std::string_view key) {
  const Use use(*impl_);
  std::string value;
  const rocksdb::Status status =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->family(kRequestKeys), key, &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) read_failed("request key", status);
  auto entry = decode_request_key_entry(value);
  if (!entry) {
    std::fprintf(stderr, "stockd: corrupt request key entry\n");
    std::abort();
  }
  return entry;
}

std::optional<PurchaseOrder> RocksStore::find_purchase_order(std::string_view id) {
  const Use use(*impl_);
  std::string value;
  const rocksdb::Status status =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->family(kPurchaseOrders), id, &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) read_failed("purchase order", status);
  auto po = decode_purchase_order(value);
  if (!po) {
    std::fprintf(stderr, "stockd: corrupt purchase order %.*s\n", static_cast<int>(id.size()),
                 id.data());
    std::abort();
  }
  return po;
}

Status RocksStore::for_each_purchase_order(const std::function<void(const PurchaseOrder&)>& visit) {
  const Use use(*impl_);
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->family(kPurchaseOrders)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto po = decode_purchase_order(std::string_view(it->value().data(), it->value().size()));
    if (!po) return Status::error("store is corrupt: unreadable purchase order");
    visit(*po);
  }
  if (!it->status().ok()) return Status::error(it->status().ToString());
  return Status::ok();
}

Status RocksStore::read_outbox(uint32_t shard, uint64_t after, size_t limit,
                               std::vector<OutboxRow>& out) {
  const Use use(*impl_);
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->family(kOutbox)));
  const std::string end = ledger_key(shard + 1, 0);
  size_t read = 0;
  for (it->Seek(ledger_key(shard, after + 1)); it->Valid() && read < limit; it->Next(), ++read) {
    if (it->key().compare(rocksdb::Slice(end)) >= 0) break;
    auto row = decode_outbox_row(std::string_view(it->value().data(), it->value().size()));
    if (!row || row->shard != shard)
      return Status::error("store is corrupt: unreadable outbox row");
    out.push_back(std::move(*row));
  }
  if (!it->status().ok()) return Status::error(it->status().ToString());
  return Status::ok();
}

Status RocksStore::for_each_ledger_record_reverse(
    uint32_t stream, const std::function<bool(std::string_view bytes)>& visit) {
  const Use use(*impl_);
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->family(kLedger)));
  const std::string first = ledger_key(stream, 0);
  for (it->SeekForPrev(ledger_key(stream, std::numeric_limits<uint64_t>::max())); it->Valid();
       it->Prev()) {
    if (it->key().compare(rocksdb::Slice(first)) < 0) break;
    if (!visit(std::string_view(it->value().data(), it->value().size()))) break;
  }
  if (!it->status().ok()) return Status::error(it->status().ToString());
  return Status::ok();
}

uint64_t RocksStore::outbox_head(uint32_t shard) {
  const Use use(*impl_);
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->family(kOutbox)));
  it->SeekForPrev(ledger_key(shard, std::numeric_limits<uint64_t>::max()));
  if (!it->status().ok()) read_failed("outbox head", it->status());
  if (!it->Valid()) return 0;
  ByteReader in(std::string_view(it->key().data(), it->key().size()));
  const uint32_t stream = in.u32();
  const uint64_t sequence = in.u64();
  if (!in.ok() || stream != shard) return 0;
  return sequence;
}

Status RocksStore::delete_outbox_through(uint32_t shard, uint64_t sequence) {
  const Use use(*impl_);
  // The newest row always stays: it carries the shard's sequence across a restart.
  const uint64_t head = outbox_head(shard);
  if (head == 0) return Status::ok();
  sequence = std::min(sequence, head - 1);
  if (sequence == 0) return Status::ok();
  rocksdb::WriteOptions sync;
  sync.sync = impl_->options.sync_writes;
  const rocksdb::Status status = impl_->db->DeleteRange(
      sync, impl_->family(kOutbox), ledger_key(shard, 0), ledger_key(shard, sequence + 1));
  if (!status.ok()) return Status::error(status.ToString());
  return Status::ok();
}

Status RocksStore::for_each_published(
    const std::function<void(std::string_view, std::string_view, const PublishedAvailability&)>&
        visit) {
  const Use use(*impl_);
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->family(kPublished)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    const size_t split = key.find('\0');
    const auto published =
        decode_published(std::string_view(it->value().data(), it->value().size()));
    if (split == std::string_view::npos || !published) {
      return Status::error("store is corrupt: unreadable published availability");
    }
    visit(key.substr(0, split), key.substr(split + 1), *published);
  }
  if (!it->status().ok()) return Status::error(it->status().ToString());
  return Status::ok();
}

Status RocksStore::put_aux(std::string_view key, std::string_view value) {
  const Use use(*impl_);
  rocksdb::WriteOptions sync;
  sync.sync = impl_->options.sync_writes;
  const rocksdb::Status status =
      impl_->db->Put(sync, impl_->family(kAux), key, rocksdb::Slice(value.data(), value.size()));
  if (!status.ok()) return Status::error(status.ToString());
  return Status::ok();
}

Status RocksStore::put_aux_unsynced(std::string_view key, std::string_view value) {
  const Use use(*impl_);
  const rocksdb::Status status = impl_->db->Put(rocksdb::WriteOptions(), impl_->family(kAux), key,
                                                rocksdb::Slice(value.data(), value.size()));
  if (!status.ok()) return Status::error(status.ToString());
  return Status::ok();
}

std::optional<std::string> RocksStore::get_aux(std::string_view key) {
  const Use use(*impl_);
  std::string value;
  const rocksdb::Status status =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->family(kAux), key, &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) read_failed("aux", status);
  return value;
}

Status RocksStore::delete_aux(std::string_view key) {
  const Use use(*impl_);
  rocksdb::WriteOptions sync;
  sync.sync = impl_->options.sync_writes;
  const rocksdb::Status status = impl_->db->Delete(sync, impl_->family(kAux), key);
  if (!status.ok()) return Status::error(status.ToString());
  return Status::ok();
}

Status RocksStore::for_each_aux(
    std::string_view prefix, const std::function<void(std::string_view, std::string_view)>& visit) {
  const Use use(*impl_);
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->family(kAux)));
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    if (key.substr(0, prefix.size()) != prefix) break;
    visit(key, std::string_view(it->value().data(), it->value().size()));
  }
  if (!it->status().ok()) return Status::error(it->status().ToString());
  return Status::ok();
}

ChainHead RocksStore::chain_head(uint32_t stream) {
  const Use use(*impl_);
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->family(kLedger)));
  it->SeekForPrev(ledger_key(stream, std::numeric_limits<uint64_t>::max()));
  if (!it->status().ok()) read_failed("ledger head", it->status());
  if (!it->Valid()) return {};
  const auto record =
      decode_ledger_record(std::string_view(it->value().data(), it->value().size()));
  STOCKD_ASSERT(record.has_value());  // open() checked every stream's tail
  if (record->stream != stream) return {};
  return {record->sequence, record->hash};
}

Status RocksStore::for_each_position(
    const std::function<void(std::string_view, std::string_view, const Position&)>& visit) {
  return for_each_position_where(nullptr, visit);
}

Status RocksStore::for_each_position_where(
    const std::function<bool(std::string_view sku)>& wanted,
    const std::function<void(std::string_view, std::string_view, const Position&)>& visit) {
  const Use use(*impl_);
  // A scan of the whole family (start-up, exports, reports): read ahead, and keep its
  // blocks out of the block cache (they would evict what serving needs, and churn the
  // allocator doing it).
  rocksdb::ReadOptions whole_family;
  whole_family.fill_cache = false;
  whole_family.readahead_size = 2 << 20;
  return impl_->scan_positions(whole_family, "", wanted, visit);
}

Status RocksStore::for_each_position_of(
    std::string_view sku,
    const std::function<void(std::string_view location, const Position& position)>& visit) {
  const Use use(*impl_);
  return impl_->scan_positions(rocksdb::ReadOptions(), position_key(sku, ""), nullptr,
                               [&](std::string_view, std::string_view location,
                                   const Position& position) { visit(location, position); });
}

Status RocksStore::for_each_active_reservation(
    const std::function<void(const Reservation&)>& visit) {
  const Use use(*impl_);
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->family(kActiveHolds)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string id = it->key().ToString();
    const std::optional<Reservation> reservation = find_reservation(id);
    const bool loadable =
        reservation &&
        (reservation->state == ReservationState::active ||
         (reservation->backorder && reservation->state == ReservationState::committed));
    if (!loadable) {
      return Status::error("store is corrupt: active hold " + id + " has no active reservation");
    }
    visit(*reservation);
  }
  if (!it->status().ok()) return Status::error(it->status().ToString());
  return Status::ok();
}

Status RocksStore::load_catalog(Catalog& out) {
  const Use use(*impl_);
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->family(kConfig)));
  // Locations first ('L' < 'S' is not guaranteed to precede 'C'), so channels can be
  // checked against them: read everything, then insert in dependency order.
  std::vector<Location> locations;
  std::vector<Source> sources;
  std::vector<Channel> channels;
  std::vector<Bundle> bundles;
  std::vector<Promotion> promotions;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    const std::string_view value(it->value().data(), it->value().size());
    bool ok = false;
    if (key.size() > 2 && key[1] == '/') {
      switch (static_cast<ConfigKind>(key[0])) {
        case ConfigKind::location:
          if (auto location = decode_location(value)) {
            locations.push_back(std::move(*location));
            ok = true;
          }
          break;
        case ConfigKind::source:
          if (auto source = decode_source(value)) {
            sources.push_back(std::move(*source));
            ok = true;
          }
          break;
        case ConfigKind::channel:
          if (auto channel = decode_channel(value)) {
            channels.push_back(std::move(*channel));
            ok = true;
          }
          break;
        case ConfigKind::bundle:
          if (auto bundle = decode_bundle(value)) {
            bundles.push_back(std::move(*bundle));
            ok = true;
          }
          break;
        case ConfigKind::promotion:
          if (auto promotion = decode_promotion(value)) {
            promotions.push_back(std::move(*promotion));
            ok = true;
          }
          break;
      }
    }
    if (!ok) return Status::error("store is corrupt: unreadable configuration entry");
  }
  if (!it->status().ok()) return Status::error(it->status().ToString());
  for (Location& location : locations) {
    if (!out.check(location).ok())
      return Status::error("stored location " + location.id + " is invalid");
    out.put(std::move(location));
  }
  for (Source& source : sources) {
    if (!out.check(source).ok()) return Status::error("stored source " + source.id + " is invalid");
    out.put(std::move(source));
  }
  for (Channel& channel : channels) {
    if (!out.check(channel).ok())
      return Status::error("stored channel " + channel.id + " is invalid");
    out.put(std::move(channel));
  }
  for (Bundle& bundle : bundles) {
    if (!out.check(bundle).ok()) return Status::error("stored bundle " + bundle.id + " is invalid");
    out.put(std::move(bundle));
  }
  for (Promotion& promotion : promotions) {
    const ConfigCheck check = out.check(promotion);
    if (check.error == ConfigError::unknown_channel) continue;  // its channel was removed
    if (!check.ok()) return Status::error("stored promotion " + promotion.id + " is invalid");
    out.put(std::move(promotion));
  }
  return Status::ok();
}

Status RocksStore::put_config(ConfigKind kind, std::string_view id, std::string_view bytes) {
  const Use use(*impl_);
  rocksdb::WriteOptions sync;
  sync.sync = impl_->options.sync_writes;
  const rocksdb::Status status = impl_->db->Put(sync, impl_->family(kConfig), config_key(kind, id),
                                                rocksdb::Slice(bytes.data(), bytes.size()));
  if (!status.ok()) return Status::error(status.ToString());
  return Status::ok();
}

Status RocksStore::delete_config(ConfigKind kind, std::string_view id) {
  const Use use(*impl_);
  rocksdb::WriteOptions sync;
  sync.sync = impl_->options.sync_writes;
  const rocksdb::Status status =
      impl_->db->Delete(sync, impl_->family(kConfig), config_key(kind, id));
  if (!status.ok()) return Status::error(status.ToString());
  return Status::ok();
}

Status RocksStore::for_each_ledger_record(
    const std::function<bool(uint32_t, uint64_t, std::string_view)>& visit) {
  const Use use(*impl_);
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->family(kLedger)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 12) return Status::error("ledger holds a malformed key");
    ByteReader key(std::string_view(it->key().data(), it->key().size()));
    const uint32_t stream = key.u32();
    const uint64_t sequence = key.u64();
    if (!visit(stream, sequence, std::string_view(it->value().data(), it->value().size()))) break;
  }
  if (!it->status().ok()) return Status::error(it->status().ToString());
  return Status::ok();
}

Status RocksStore::flush() {
  const Use use(*impl_);
  rocksdb::FlushOptions flush;
  flush.wait = true;
  const rocksdb::Status status = impl_->db->Flush(flush, impl_->families);
  if (!status.ok()) return Status::error(status.ToString());
  return Status::ok();
}

Status RocksStore::tamper_ledger_record_for_test(uint32_t stream, uint64_t sequence,
                                                 std::string bytes) {
  const Use use(*impl_);
  const rocksdb::Status status = impl_->db->Put(impl_->write_options, impl_->family(kLedger),
                                                ledger_key(stream, sequence), bytes);
  if (!status.ok()) return Status::error(status.ToString());
  return Status::ok();
}

}  // namespace stockd
