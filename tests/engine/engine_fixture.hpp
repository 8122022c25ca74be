// A real engine on a real RocksDB store in a fresh temporary directory, with a manual
// clock. reopen() closes everything and opens the same directory again, as a restart.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "core/test_support.hpp"
#include "engine/blocking.hpp"
#include "engine/engine.hpp"
#include "storage/rocks_store.hpp"

namespace stockd::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "stockd-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class EngineFixture : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void TearDown() override { close(); }

  void open(size_t shards = 2) {
    std::string error;
    RocksStoreOptions store_options;
    store_options.data_dir = dir_.path();
    store_options.env = env_;
    store_ = RocksStore::open(store_options, &error);
    ASSERT_TRUE(store_) << error;
    EngineOptions options = engine_options_;
    options.shards = shards;
    options.random_seed = 7;
    engine_ = Engine::open(*store_, clock_, options, &error);
    ASSERT_TRUE(engine_) << error;
    if (engine_->catalog()->locations().empty()) {
      const Catalog catalog = test_catalog();
      for (const auto& [id, location] : catalog.locations()) engine_->put_location(location);
      for (const auto& [id, source] : catalog.sources()) engine_->put_source(source);
    }
  }
  void close() {
    engine_.reset();
    store_.reset();
  }
  void reopen(size_t shards = 2) {
    close();
    open(shards);
  }

  std::vector<EventResult> apply(std::vector<Event> events) {
    return apply_events_blocking(*engine_, std::move(events));
  }
  EventResult apply(Event e) { return apply(std::vector<Event>{std::move(e)}).at(0); }
  Position position(const std::string& sku, const std::string& location) {
    for (const PositionView& view : get_stock_blocking(*engine_, sku).positions) {
      if (view.location == location) return view.position;
    }
    return Position{};
  }
  Event receipt(const std::string& id, const std::string& sku, int64_t quantity,
                const std::string& location = "W1") {
    Event e = event(EventType::receipt, quantity);
    e.id = id;
    e.sku = sku;
    e.location = location;
    return e;
  }
  ReserveResult reserve(const std::string& sku, int64_t quantity,
                        std::vector<std::string> locations = {"W1"},
                        Duration ttl = std::chrono::seconds{60}) {
    ReserveRequest request;
    request.sku = sku;
    request.channel = "web";
    for (std::string& location : locations) request.candidates.emplace_back(std::move(location));
    request.quantity = quantity;
    request.ttl = ttl;
    return reserve_blocking(*engine_, std::move(request));
  }

  TempDir dir_;
  rocksdb::Env* env_ = nullptr;  // a file system that injects faults; null = the disk
  ManualClock clock_{at("2026-11-27T10:05:00Z")};
  EngineOptions engine_options_;
  std::unique_ptr<RocksStore> store_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace stockd::testing
