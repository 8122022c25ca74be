// Restart cost at scale: builds a store of N positions (N/10 SKUs at 10 locations, each
// with a demand history, as a live store has), then opens it as the server does and
// reports the time to open the store (with and without the checksum pass that reads
// every table file), the time to load the engine and answer a first read, and the
// resident memory the loaded positions take.
//   stockd_reopen_bench POSITIONS DIR checksums|no-checksums
// The store in DIR is built on the first run and reused; run each mode in its own
// process (resident memory is measured from the process's start). Page cache is warm
// after the first run: the figures are a restart's, not a cold boot's.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "core/forecast.hpp"
#include "engine/blocking.hpp"
#include "engine/engine.hpp"
#include "storage/rocks_store.hpp"

using namespace stockd;

namespace {

double seconds_since(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

double resident_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

std::string sku_name(uint64_t n) {
  char name[32];
  std::snprintf(name, sizeof name, "SKU-%08llu", static_cast<unsigned long long>(n));
  return name;
}

void build(const std::string& dir, uint64_t positions) {
  RocksStoreOptions options;
  options.data_dir = dir;
  options.sync_writes = false;  // building only; the reopen below is what is measured
  std::string error;
  auto store = RocksStore::open(options, &error);
  if (!store) {
    std::fprintf(stderr, "%s\n", error.c_str());
    std::exit(1);
  }
  std::mt19937_64 random(7);
  const Timestamp now = SystemClock{}.now();
  WriteSet set;
  const auto started = std::chrono::steady_clock::now();
  for (uint64_t n = 0; n < positions; ++n) {
    Position position;
    position.on_hand = static_cast<int64_t>(random() % 200);
    position.version = 1 + random() % 50;
    position.last_event_at = now;
    for (int day = 0; day < 5; ++day) {  // a little demand history: the model is set
      observe_demand(position.demand, static_cast<int64_t>(random() % 4),
                     now - std::chrono::hours{24 * (5 - day)});
    }
    set.positions.push_back({sku_name(n / 10), "L" + std::to_string(n % 10), position});
    if (set.positions.size() == 10'000 || n + 1 == positions) {
      if (!store->write(set).is_ok()) std::exit(1);
      set.clear();
    }
  }
  if (!store->flush().is_ok()) std::exit(1);
  std::printf("built %llu positions in %.1f s\n", static_cast<unsigned long long>(positions),
              seconds_since(started));
}

void reopen(const std::string& dir, uint64_t positions, bool verify) {
  const double rss_before = resident_mb();
  const auto started = std::chrono::steady_clock::now();
  RocksStoreOptions options;
  options.data_dir = dir;
  options.verify_checksums_at_open = verify;
  std::string error;
  auto store = RocksStore::open(options, &error);
  if (!store) {
    std::fprintf(stderr, "%s\n", error.c_str());
    std::exit(1);
  }
  const double store_s = seconds_since(started);
  SystemClock clock;
  EngineOptions engine_options;
  engine_options.shards = 2;
  auto engine = Engine::open(*store, clock, engine_options, &error);
  if (!engine) {
    std::fprintf(stderr, "%s\n", error.c_str());
    std::exit(1);
  }
  const StockView first = get_stock_blocking(*engine, sku_name(positions / 20));
  const double serving_s = seconds_since(started);
  const double rss_after = resident_mb();
  if (first.positions.size() != 10) std::exit(1);
  std::printf(
      "reopen %s: store open %.2f s, serving after %.2f s, resident +%.0f MB (engine state and "
      "RocksDB's caches; %.0f bytes per position)\n",
      verify ? "with checksum pass" : "without checksum pass", store_s, serving_s,
      rss_after - rss_before,
      (rss_after - rss_before) * 1048576.0 / static_cast<double>(positions));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: stockd_reopen_bench POSITIONS DIR checksums|no-checksums\n");
    return 2;
  }
  const uint64_t positions = std::stoull(argv[1]);
  const std::string dir = argv[2];
  const std::string mode = argv[3];
  if (!std::filesystem::exists(dir + "/CURRENT")) {
    build(dir, positions);
    return 0;  // measure in fresh processes
  }
  uint64_t bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  std::printf("store: %.0f MB on disk\n", static_cast<double>(bytes) / 1048576.0);
  reopen(dir, positions, mode == "checksums");
  return 0;
}
