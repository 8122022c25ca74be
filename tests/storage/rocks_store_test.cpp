#include "storage/rocks_store.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "engine/audit.hpp"
#include "engine/engine_fixture.hpp"

namespace stockd {
namespace {

using testing::EngineFixture;

class RocksStoreTest : public EngineFixture {
 protected:
  void fill(int count) {
    for (int i = 1; i <= count; ++i) apply(receipt("r-" + std::to_string(i), "A", 1));
  }
  LedgerRecord record_at(uint32_t stream, uint64_t sequence) {
    std::optional<LedgerRecord> found;
    EXPECT_TRUE(store_
                    ->for_each_ledger_record([&](uint32_t s, uint64_t q, std::string_view bytes) {
                      if (s == stream && q == sequence) found = decode_ledger_record(bytes);
                      return !found;
                    })
                    .is_ok());
    EXPECT_TRUE(found.has_value());
    return *found;
  }
  uint32_t stream_of_a() const { return Engine::slot_of("A") % 2; }
};

TEST_F(RocksStoreTest, AuditFindsATamperedRecordAtItsSequence) {
  fill(10);
  close();
  std::string error;
  RocksStoreOptions options;
  options.data_dir = dir_.path();
  auto store = RocksStore::open(options, &error);
  ASSERT_TRUE(store) << error;
  ASSERT_TRUE(verify_ledger(*store).ok);

  // Change one quantity and re-encode with the old hashes, as a forger would.
  LedgerRecord record;
  ASSERT_TRUE(
      store
          ->for_each_ledger_record([&](uint32_t, uint64_t sequence, std::string_view bytes) {
            if (sequence == 4) record = *decode_ledger_record(bytes);
            return sequence < 4;
          })
          .is_ok());
  record.event.quantity = 1000;
  ASSERT_TRUE(
      store->tamper_ledger_record_for_test(record.stream, 4, encode_ledger_record(record)).is_ok());
  const AuditReport report = verify_ledger(*store);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_sequence, 4u);
  EXPECT_EQ(report.records, 3u);

  // Re-hashing the forged record breaks the link from the next one instead.
  record.hash = chain_hash(record.prev_hash, record);
  ASSERT_TRUE(
      store->tamper_ledger_record_for_test(record.stream, 4, encode_ledger_record(record)).is_ok());
  const AuditReport relinked = verify_ledger(*store);
  EXPECT_FALSE(relinked.ok);
  EXPECT_EQ(relinked.bad_sequence, 5u);
  store.reset();
  open();
}

TEST_F(RocksStoreTest, AFlippedByteOrTwoSwappedRecordsAreNamed) {
  fill(10);
  close();
  std::string error;
  RocksStoreOptions options;
  options.data_dir = dir_.path();
  auto store = RocksStore::open(options, &error);
  ASSERT_TRUE(store) << error;
  std::map<uint64_t, std::string> stored;
  uint32_t stream = 0;
  ASSERT_TRUE(
      store
          ->for_each_ledger_record([&](uint32_t at, uint64_t sequence, std::string_view bytes) {
            if (stored.empty()) stream = at;
            if (at == stream) stored[sequence] = std::string(bytes);
            return true;
          })
          .is_ok());
  ASSERT_GE(stored.size(), 6u);
  // One byte in the middle of record 6, with the server stopped.
  std::string flipped = stored[6];
  flipped[flipped.size() / 2] ^= 0x01;
  ASSERT_TRUE(store->tamper_ledger_record_for_test(stream, 6, flipped).is_ok());
  AuditReport report = verify_ledger(*store);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_stream, stream);
  EXPECT_EQ(report.bad_sequence, 6u);
  ASSERT_TRUE(store->tamper_ledger_record_for_test(stream, 6, stored[6]).is_ok());
  EXPECT_TRUE(verify_ledger(*store).ok);
  // Records 2 and 3 swapped (each under the other's key): reordering is named at 2.
  ASSERT_TRUE(store->tamper_ledger_record_for_test(stream, 2, stored[3]).is_ok());
  ASSERT_TRUE(store->tamper_ledger_record_for_test(stream, 3, stored[2]).is_ok());
  report = verify_ledger(*store);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_sequence, 2u);
  store.reset();
  open();
}

TEST_F(RocksStoreTest, AMissingRecordIsAGap) {
  fill(5);
  close();
  std::string error;
  RocksStoreOptions options;
  options.data_dir = dir_.path();
  auto store = RocksStore::open(options, &error);
  ASSERT_TRUE(store);
  // Overwrite record 3 with record 2's bytes: sequence under key 3 says 2.
  LedgerRecord second;
  ASSERT_TRUE(
      store
          ->for_each_ledger_record([&](uint32_t, uint64_t sequence, std::string_view bytes) {
            if (sequence == 2) second = *decode_ledger_record(bytes);
            return sequence < 2;
          })
          .is_ok());
  ASSERT_TRUE(
      store->tamper_ledger_record_for_test(second.stream, 3, encode_ledger_record(second)).is_ok());
  const AuditReport report = verify_ledger(*store);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_sequence, 3u);
  store.reset();
  open();
}

TEST_F(RocksStoreTest, OpeningACorruptTailIsRefusedWithAReason) {
  fill(3);
  close();
  std::string error;
  RocksStoreOptions options;
  options.data_dir = dir_.path();
  {
    auto store = RocksStore::open(options, &error);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->tamper_ledger_record_for_test(stream_of_a(), 3, "garbage").is_ok());
  }
  auto store = RocksStore::open(options, &error);
  EXPECT_FALSE(store);
  EXPECT_NE(error.find("corrupt"), std::string::npos) << error;
}

// Physical damage anywhere in the store's table files: a flipped byte in the middle of
// the ledger's file, or the file cut short. Both are refused at open with a reason.
class DamagedStoreTest : public RocksStoreTest {
 protected:
  // Fills the store, writes it to table files, and returns the largest one.
  std::filesystem::path flushed_store() {
    fill(400);
    EXPECT_TRUE(store_->flush().is_ok());
    close();
    std::filesystem::path largest;
    uintmax_t largest_bytes = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
      if (entry.path().extension() != ".sst") continue;
      if (entry.file_size() > largest_bytes) {
        largest_bytes = entry.file_size();
        largest = entry.path();
      }
    }
    EXPECT_GT(largest_bytes, 4096u) << "no table file was written";
    return largest;
  }
  std::string open_error() {
    std::string error;
    RocksStoreOptions options;
    options.data_dir = dir_.path();
    EXPECT_FALSE(RocksStore::open(options, &error)) << "a damaged store opened";
    std::printf("refused: %s\n", error.c_str());
    return error;
  }
};

TEST_F(DamagedStoreTest, AByteFlippedInTheMiddleIsFoundAtOpen) {
  const std::filesystem::path file = flushed_store();
  {
    std::fstream bytes(file, std::ios::in | std::ios::out | std::ios::binary);
    const auto middle = static_cast<std::streamoff>(std::filesystem::file_size(file) / 3);
    bytes.seekg(middle);
    char byte = 0;
    bytes.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x5a);
    bytes.seekp(middle);
    bytes.write(&byte, 1);
  }
  const std::string error = open_error();
  EXPECT_NE(error.find("corrupt"), std::string::npos) << error;
  EXPECT_NE(error.find(file.filename().string()), std::string::npos) << error;
}

TEST_F(DamagedStoreTest, ATruncatedFileIsFoundAtOpen) {
  const std::filesystem::path file = flushed_store();
  std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
  const std::string error = open_error();
  EXPECT_FALSE(error.empty());
  EXPECT_NE(error.find(file.filename().string()), std::string::npos) << error;
}

TEST_F(RocksStoreTest, ADirectoryThatIsNotAStoreIsRefused) {
  close();
  std::string error;
  RocksStoreOptions options;
  options.data_dir = "/proc/self";  // not creatable
  EXPECT_FALSE(RocksStore::open(options, &error));
  EXPECT_FALSE(error.empty());
  open();
}

TEST_F(RocksStoreTest, ReadOnlyOpenSeesTheLedger) {
  fill(4);
  close();
  std::string error;
  RocksStoreOptions options;
  options.data_dir = dir_.path();
  options.read_only = true;
  auto store = RocksStore::open(options, &error);
  ASSERT_TRUE(store) << error;
  const AuditReport report = verify_ledger(*store);
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.records, 4u);
  EXPECT_EQ(store->chain_head(stream_of_a()).sequence, 4u);
  store.reset();
  open();
}

TEST_F(RocksStoreTest, OneSkusPositionsAreReadByPrefixWithoutItsNeighbours) {
  apply(receipt("a1", "A", 3, "W1"));
  apply(receipt("a2", "A", 4, "W2"));
  apply(receipt("ab", "AB", 5, "W1"));  // shares "A" as a prefix of its name
  std::map<std::string, int64_t> on_hand;
  ASSERT_TRUE(store_
                  ->for_each_position_of("A",
                                         [&](std::string_view location, const Position& position) {
                                           on_hand[std::string(location)] = position.on_hand;
                                         })
                  .is_ok());
  EXPECT_EQ(on_hand, (std::map<std::string, int64_t>{{"W1", 3}, {"W2", 4}}));
  on_hand.clear();
  ASSERT_TRUE(
      store_
          ->for_each_position_of("Z", [&](std::string_view location,
                                          const Position&) { on_hand[std::string(location)] = 0; })
          .is_ok());
  EXPECT_TRUE(on_hand.empty());
}

}  // namespace
}  // namespace stockd
