// The transactional outbox: every change of a channel's availability, and every position
// change, is written with the change itself, in order per shard, and survives a restart.
#include <gtest/gtest.h>

#include "engine/engine_fixture.hpp"

namespace stockd::testing {
namespace {

class OutboxTest : public EngineFixture {
 protected:
  void SetUp() override {
    open(1);  // one shard: one sequence to read
    engine_->want_stock_changes(true);
    Channel web;
    web.id = "web";
    web.locations = {{"W1", 1}, {"W2", 2}};
    web.buffer_units = 2;
    ASSERT_TRUE(engine_->put_channel(web).ok());
    Channel pickup;
    pickup.id = "store";
    pickup.locations = {{"S1", 1}};
    ASSERT_TRUE(engine_->put_channel(pickup).ok());
  }
  std::vector<OutboxRow> rows(uint64_t after = 0) {
    std::vector<OutboxRow> out;
    EXPECT_TRUE(store_->read_outbox(0, after, 10'000, out).is_ok());
    return out;
  }
  static std::vector<OutboxRow> of_kind(const std::vector<OutboxRow>& all, OutboxKind kind) {
    std::vector<OutboxRow> out;
    for (const OutboxRow& row : all) {
      if (row.kind == kind) out.push_back(row);
    }
    return out;
  }
};

TEST_F(OutboxTest, AReceiptAnnouncesThePositionAndTheChannelsThatSellIt) {
  ASSERT_EQ(apply(receipt("r-1", "TEE", 10)).status, EventStatus::applied);
  const auto all = rows();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].sequence, 1u);
  EXPECT_EQ(all[1].sequence, 2u);
  const auto stock = of_kind(all, OutboxKind::stock_changed);
  ASSERT_EQ(stock.size(), 1u);
  EXPECT_EQ(stock[0].sku, "TEE");
  EXPECT_EQ(stock[0].location, "W1");
  EXPECT_EQ(stock[0].position.on_hand, 10);
  EXPECT_EQ(stock[0].occurred_at, at("2026-11-27T10:00:00Z"));
  EXPECT_EQ(stock[0].recorded_at, clock_.now());
  const auto availability = of_kind(all, OutboxKind::availability_changed);
  ASSERT_EQ(availability.size(), 1u);  // "store" does not pool W1
  EXPECT_EQ(availability[0].channel, "web");
  EXPECT_EQ(availability[0].available, 8);  // 10 − buffer 2
  ASSERT_EQ(availability[0].locations.size(), 2u);
  EXPECT_EQ(availability[0].locations[0].location, "W1");
  EXPECT_EQ(availability[0].locations[0].available, 8);
  EXPECT_EQ(availability[0].locations[0].version, 1u);
  EXPECT_EQ(availability[0].locations[1].available, 0);
}

TEST_F(OutboxTest, AChangeTheChannelCannotSeeAnnouncesOnlyThePosition) {
  ASSERT_EQ(apply(receipt("r-1", "TEE", 1)).status, EventStatus::applied);  // under the buffer
  const auto all = rows();
  EXPECT_EQ(of_kind(all, OutboxKind::availability_changed).size(), 0u);
  EXPECT_EQ(of_kind(all, OutboxKind::stock_changed).size(), 1u);
  ASSERT_EQ(apply(receipt("r-2", "TEE", 1)).status, EventStatus::applied);  // 2: still 0
  EXPECT_EQ(of_kind(rows(), OutboxKind::availability_changed).size(), 0u);
  ASSERT_EQ(apply(receipt("r-3", "TEE", 1)).status, EventStatus::applied);  // 3: now 1
  const auto changed = of_kind(rows(), OutboxKind::availability_changed);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].available, 1);
}

TEST_F(OutboxTest, ReservationsAndDuplicatesAnnounceExactlyWhatChanged) {
  ASSERT_EQ(apply(receipt("r-1", "TEE", 10)).status, EventStatus::applied);
  const uint64_t head = rows().back().sequence;
  ASSERT_EQ(apply(receipt("r-1", "TEE", 10)).status, EventStatus::duplicate);
  EXPECT_TRUE(rows(head).empty());
  const ReserveResult held = reserve("TEE", 3);
  ASSERT_EQ(held.status, ReserveStatus::ok);
  const auto changed = of_kind(rows(head), OutboxKind::availability_changed);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].available, 5);
  EXPECT_EQ(changed[0].occurred_at, clock_.now());  // no fact behind a hold
}

TEST_F(OutboxTest, SequencesContinueAcrossARestartAndAfterCleanUp) {
  ASSERT_EQ(apply(receipt("r-1", "TEE", 10)).status, EventStatus::applied);
  ASSERT_EQ(apply(receipt("r-2", "TEE", 10)).status, EventStatus::applied);
  EXPECT_EQ(rows().back().sequence, 4u);
  ASSERT_TRUE(store_->delete_outbox_through(0, 100).is_ok());
  const auto kept = rows();
  ASSERT_EQ(kept.size(), 1u);  // the newest row carries the sequence
  EXPECT_EQ(kept[0].sequence, 4u);
  reopen(1);
  engine_->want_stock_changes(true);
  ASSERT_EQ(apply(receipt("r-3", "TEE", 10)).status, EventStatus::applied);
  const auto after = rows(4);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].sequence, 5u);
  // What was announced before the restart is remembered: the total is compared with it.
  EXPECT_EQ(of_kind(after, OutboxKind::availability_changed).at(0).available, 28);
}

TEST_F(OutboxTest, RawPositionChangesAreWrittenOnlyWhileSomeoneWantsThem) {
  engine_->want_stock_changes(false);
  ASSERT_EQ(apply(receipt("r-1", "TEE", 10)).status, EventStatus::applied);
  const auto all = rows();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].kind, OutboxKind::availability_changed);
}

TEST_F(OutboxTest, TheGenerationMovesWhenRowsAreWritten) {
  const uint64_t before = engine_->outbox_generation();
  ASSERT_EQ(apply(receipt("r-1", "TEE", 10)).status, EventStatus::applied);
  EXPECT_NE(engine_->wait_outbox(before, std::chrono::milliseconds{1000}), before);
  EXPECT_EQ(engine_->outbox_heads(), std::vector<uint64_t>{2});
}

}  // namespace
}  // namespace stockd::testing
