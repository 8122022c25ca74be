// Bank-style invariant under concurrency: movers shift stock between three locations
// with transfer_out / transfer_in pairs while readers look; every read of a SKU sums
// (on hand + in transit over its locations) to exactly what was received, and so does
// the store after a reopen.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "engine/engine_fixture.hpp"

namespace stockd {
namespace {

using testing::EngineFixture;

class InvariantTest : public EngineFixture {};

int64_t units_of(const StockView& view) {
  int64_t total = 0;
  for (const PositionView& each : view.positions) {
    total += each.position.on_hand + each.position.in_transit;
  }
  return total;
}

TEST_F(InvariantTest, TransfersUnderConcurrentReadsConserveEveryUnit) {
  constexpr int kSkus = 4;
  constexpr int64_t kUnits = 1000;
  const char* kLocations[] = {"W1", "W2", "S1"};
  for (int s = 0; s < kSkus; ++s) {
    Event e = testing::event(EventType::receipt, kUnits, "2026-11-27T09:00:00Z", "wms", "W1");
    e.id = "bank-open-" + std::to_string(s);
    e.sku = "BANK-" + std::to_string(s);
    ASSERT_EQ(apply(e).status, EventStatus::applied);
  }
  std::atomic<bool> running{true};
  std::atomic<uint64_t> transfers{0};
  std::atomic<uint64_t> reads{0};
  std::atomic<uint64_t> bad_reads{0};
  std::vector<std::thread> threads;
  for (int mover = 0; mover < 4; ++mover) {
    threads.emplace_back([&, mover] {
      std::mt19937 random(static_cast<unsigned>(mover) + 1);
      for (int n = 0; running; ++n) {
        const std::string sku = "BANK-" + std::to_string(random() % kSkus);
        const int from = static_cast<int>(random() % 3);
        const int to = (from + 1 + static_cast<int>(random() % 2)) % 3;
        const int64_t quantity = 1 + static_cast<int64_t>(random() % 20);
        const std::string id = "bank-" + std::to_string(mover) + "-" + std::to_string(n);
        Event out = testing::event(EventType::transfer_out, quantity, "2026-11-27T10:00:00Z", "wms",
                                   kLocations[from]);
        out.id = id + "-out";
        out.sku = sku;
        out.to_location = kLocations[to];
        Event in = testing::event(EventType::transfer_in, quantity, "2026-11-27T10:00:00Z", "wms",
                                  kLocations[to]);
        in.id = id + "-in";
        in.sku = sku;
        if (apply_events_blocking(*engine_, {out}).at(0).status != EventStatus::applied) continue;
        apply_events_blocking(*engine_, {in});
        transfers.fetch_add(1);
      }
    });
  }
  for (int reader = 0; reader < 3; ++reader) {
    threads.emplace_back([&, reader] {
      for (int n = 0; running; ++n) {
        const StockView view =
            get_stock_blocking(*engine_, "BANK-" + std::to_string((n + reader) % kSkus));
        if (units_of(view) != kUnits) bad_reads.fetch_add(1);
        reads.fetch_add(1);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  running = false;
  for (std::thread& thread : threads) thread.join();
  std::printf("bank invariant: %llu transfers, %llu reads, %llu reads off\n",
              static_cast<unsigned long long>(transfers.load()),
              static_cast<unsigned long long>(reads.load()),
              static_cast<unsigned long long>(bad_reads.load()));
  EXPECT_GT(transfers.load(), 50u);
  EXPECT_GT(reads.load(), 50u);
  EXPECT_EQ(bad_reads.load(), 0u);
  reopen();
  for (int s = 0; s < kSkus; ++s) {
    EXPECT_EQ(units_of(get_stock_blocking(*engine_, "BANK-" + std::to_string(s))), kUnits);
  }
}

}  // namespace
}  // namespace stockd
