// A store written by the previous release (tests/fixtures/store-0.1.0: stockd 0.1.0 at
// commit 81d1b23, position format 2 without a demand model) opens with this one, keeps
// every number and hash, and takes new facts.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/audit.hpp"
#include "engine/engine_fixture.hpp"

namespace stockd {
namespace {

Position position_of(Engine& engine, const std::string& sku, const std::string& location) {
  for (const PositionView& view : get_stock_blocking(engine, sku).positions) {
    if (view.location == location) return view.position;
  }
  return Position{};
}

TEST(UpgradeTest, AStoreFromTheLastReleaseOpensAndKeepsItsNumbers) {
  testing::TempDir dir;
  std::filesystem::copy(
      STOCKD_FIXTURES "/store-0.1.0", dir.path(),
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  std::string error;
  RocksStoreOptions options;
  options.data_dir = dir.path();
  auto store = RocksStore::open(options, &error);
  ASSERT_TRUE(store) << error;
  const AuditReport chain = verify_ledger(*store);
  ASSERT_TRUE(chain.ok) << chain.reason;
  EXPECT_EQ(chain.records, 11u);
  ASSERT_TRUE(verify_positions(*store).ok);
  SystemClock clock;
  auto engine = Engine::open(*store, clock, EngineOptions{}, &error);
  ASSERT_TRUE(engine) << error;
  EXPECT_NE(engine->catalog()->find_channel("web"), nullptr);
  EXPECT_EQ(position_of(*engine, "FX-TEE", "W1").on_hand, 80);
  EXPECT_EQ(position_of(*engine, "FX-TEE", "S1").on_hand, 21);
  const Position cap = position_of(*engine, "FX-CAP", "W1");
  EXPECT_EQ(cap.on_hand, 30);
  EXPECT_EQ(cap.damaged, 4);
  EXPECT_EQ(cap.last_set->source, "wms");
  EXPECT_EQ(position_of(*engine, "FX-TEE", "S1").demand, DemandModel{});  // none stored then
  // The old facts are still known (a resend is a duplicate), and new ones apply.
  Event resend = testing::event(EventType::receipt, 100, "2026-11-20T08:00:00Z", "wms", "W1");
  resend.id = "fx-1";
  resend.sku = "FX-TEE";
  EXPECT_EQ(apply_events_blocking(*engine, {resend}).at(0).status, EventStatus::duplicate);
  Event sale = testing::event(EventType::sale, 5, "2026-11-28T10:00:00Z", "pos", "S1");
  sale.id = "fx-after-upgrade";
  sale.sku = "FX-TEE";
  EXPECT_EQ(apply_events_blocking(*engine, {sale}).at(0).status, EventStatus::applied);
  engine.reset();
  store.reset();
  store = RocksStore::open(options, &error);
  ASSERT_TRUE(store) << error;
  engine = Engine::open(*store, clock, EngineOptions{}, &error);
  ASSERT_TRUE(engine) << error;
  const Position after = position_of(*engine, "FX-TEE", "S1");
  EXPECT_EQ(after.on_hand, 16);
  EXPECT_EQ(after.demand.open_day_units, 5);  // written in format 3
  EXPECT_TRUE(verify_ledger(*store).ok);
}

}  // namespace
}  // namespace stockd
