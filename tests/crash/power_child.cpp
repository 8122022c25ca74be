// The process the power-loss test switches off. Opens the store in argv[1] through
// PowerLossFs; three client threads submit receipts as fast as the engine takes them and
// print every acknowledged id ("E <id>") after its acknowledgement. After argv[2]
// milliseconds the power goes: every unsynced byte is dropped, and the process ends
// at once (_exit: no destructor, no flush, as a machine losing power).
// argv[3] = "sync" (the product's setting), "nosync" (the control: acknowledged events
// must then be lost, or the harness proves nothing), or "eio" (instead of the power
// cut, every fsync fails from then on: the shard must stop acknowledging and report
// storage degraded) or "enospc" (the disk is full for 300 ms, then space returns: the
// engine must go degraded, then recover by itself and acknowledge again; then the
// power is cut as in "sync") or "eio_transient" (every fsync fails with EIO for 150 ms,
// then the disk works again: RocksDB will not resume after that, so the store must be
// reopened in place and the engine acknowledge again by itself; then the power is cut).
// While the disk fails the child reads stock ("READ durable|live|refused"): reads keep
// being answered from the last durable state.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "crash/power_loss_fs.hpp"
#include "engine/engine.hpp"
#include "storage/rocks_store.hpp"

using namespace stockd;

namespace {

void say(const std::string& line) {
  const std::string out = line + "\n";
  const ssize_t written = ::write(STDOUT_FILENO, out.data(), out.size());
  (void)written;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr,
                 "usage: stockd_power_child DATA_DIR RUN_MS sync|nosync|eio|eio_transient|enospc "
                 "ROUND\n");
    return 2;
  }
  auto fs = std::make_shared<testing::PowerLossFs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  std::string error;
  RocksStoreOptions store_options;
  store_options.data_dir = argv[1];
  store_options.env = env.get();
  const std::string mode = argv[3];
  store_options.sync_writes = mode != "nosync";
  auto store = RocksStore::open(store_options, &error);
  if (!store) {
    std::fprintf(stderr, "power child: %s\n", error.c_str());
    return 3;
  }
  SystemClock clock;
  EngineOptions options;
  options.shards = 2;
  auto engine = Engine::open(*store, clock, options, &error);
  if (!engine) {
    std::fprintf(stderr, "power child: %s\n", error.c_str());
    return 3;
  }
  engine->put_location(Location{"W1"});
  engine->put_location(Location{"W2"});
  engine->put_source(Source{"wms", 100});
  const std::string round = argv[4];
  std::atomic<bool> running{true};
  std::vector<std::thread> clients;
  for (int client = 0; client < 3; ++client) {
    clients.emplace_back([&, client] {
      for (uint64_t n = 0; running; ++n) {
        std::vector<Event> events;
        for (uint64_t i = 0; i < 1 + n % 8; ++i) {
          Event e;
          e.id = "p" + round + "-" + std::to_string(client) + "-" + std::to_string(n) + "-" +
                 std::to_string(i);
          e.source = "wms";
          e.type = EventType::receipt;
          e.sku = "PL-" + std::to_string((n + i) % 50);
          e.location = i % 2 == 0 ? "W1" : "W2";
          e.quantity = 1;
          e.occurred_at = clock.now();
          events.push_back(std::move(e));
        }
        std::promise<void> answered;
        engine->submit_events(events, [&](std::vector<EventResult> results) {
          for (size_t i = 0; i < results.size(); ++i) {
            if (results[i].status == EventStatus::applied) say("E " + events[i].id);
          }
          answered.set_value();
        });
        answered.get_future().wait();
        if (engine->storage_degraded()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(2));  // refused: try later
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(argv[2])));
  // Reads while the disk fails: answered from the last durable state by a stuck shard.
  const auto read_stock = [&] {
    for (int n = 0; n < 10; ++n) {
      std::promise<StockView> answered;
      engine->get_stock("PL-" + std::to_string(n),
                        [&](StockView view) { answered.set_value(std::move(view)); });
      auto future = answered.get_future();
      if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
        say("READ unanswered");  // queued behind a stuck batch: answered after recovery
        continue;
      }
      const StockView view = future.get();
      say(view.overloaded                ? "READ refused"
          : view.from_last_durable_state ? "READ durable"
                                         : "READ live");
    }
  };
  if (mode == "eio") {
    // The disk starts failing for good: the shards stop acknowledging (the acknowledged
    // ids printed so far are checked after a reopen) and say so.
    say("FAIL");
    fs->fail_syncs();
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    say(engine->storage_degraded() ? "DEGRADED" : "NOT DEGRADED");
    read_stock();
    _exit(0);
  }
  // A fault for `fault_ms`, then the disk works again: the engine must have reported it,
  // and must recover by itself and acknowledge again before the power is cut.
  const auto transient_fault = [&](const char* name, int fault_ms, const auto& start,
                                   const auto& end) {
    say(name);
    start();
    std::this_thread::sleep_for(std::chrono::milliseconds(fault_ms));
    say(engine->storage_degraded() ? "DEGRADED" : "NOT DEGRADED");
    end();
    for (int waited_ms = 0; engine->storage_degraded() && waited_ms < 10'000; waited_ms += 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    say(engine->storage_degraded() ? "STILL DEGRADED" : "RECOVERED");
    say("REOPENS " + std::to_string(engine->storage_reopens()));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // acknowledging again
  };
  if (mode == "eio_transient") {
    transient_fault(
        "FAIL", 150, [&] { fs->fail_syncs(); }, [&] { fs->stop_failing_syncs(); });
  }
  if (mode == "enospc") {
    transient_fault(
        "FULL", 300, [&] { fs->fill_disk(); }, [&] { fs->free_disk(); });
  }
  const uint64_t lost_bytes = fs->cut_power();
  say("CUT " + std::to_string(lost_bytes));
  _exit(0);
}
