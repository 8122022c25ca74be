// The Debezium mapping on hand-made change events: inserts, updates, deletes, snapshot
// reads, key changes, tombstones, other tables and unreadable messages, in both modes.
#include "connectors/debezium.hpp"

#include <gtest/gtest.h>

#include "core/test_support.hpp"

namespace stockd {
namespace {

CdcMapping stock_table(CdcMode mode = CdcMode::absolute) {
  CdcMapping mapping;
  mapping.topic = "erp.public.stock";
  mapping.table = "stock";
  mapping.source = "wms";
  mapping.sku_column = "item_no";
  mapping.location_column = "store_id";
  mapping.quantity_column = "qty";
  mapping.mode = mode;
  return mapping;
}

std::string change(const char* op, const char* before, const char* after,
                   const char* table = "stock", bool wrapped = false) {
  const std::string payload = std::string(R"({"op":")") + op + R"(","before":)" + before +
                              R"(,"after":)" + after + R"(,"source":{"table":")" + table +
                              R"(","ts_ms":1795000000000},"ts_ms":1795000000500})";
  return wrapped ? R"({"schema":{"type":"struct"},"payload":)" + payload + "}" : payload;
}

TEST(Debezium, AbsoluteRowsBecomeCounts) {
  const CdcMapping mapping = stock_table();
  auto events = debezium_events(
      mapping, change("c", "null", R"({"item_no":"TEE-1","store_id":"W1","qty":10})"), 3, 41);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].error, EventError::none);
  const Event& e = events[0].event;
  EXPECT_EQ(e.id, "cdc:erp.public.stock:3:41");
  EXPECT_EQ(e.type, EventType::count);
  EXPECT_EQ(e.source, "wms");
  EXPECT_EQ(e.sku, "TEE-1");
  EXPECT_EQ(e.location, "W1");
  EXPECT_EQ(e.quantity, 10);
  EXPECT_EQ(e.occurred_at, timestamp_from_micros(1795000000000'000));  // source.ts_ms
  // An update counts the new value; numbers as text and integral doubles are read.
  events =
      debezium_events(mapping,
                      change("u", R"({"item_no":"TEE-1","store_id":"W1","qty":10})",
                             R"({"item_no":"TEE-1","store_id":"W1","qty":"7"})", "stock", true),
                      3, 42);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event.quantity, 7);
  // A delete counts zero; a snapshot read is an insert.
  events = debezium_events(
      mapping, change("d", R"({"item_no":"TEE-1","store_id":"W1","qty":7})", "null"), 3, 43);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event.quantity, 0);
  events = debezium_events(
      mapping, change("r", "null", R"({"item_no":42,"store_id":"W1","qty":5.0})"), 0, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event.sku, "42");
  // A row that moved to another store: the old place to zero, the new one counted.
  events = debezium_events(mapping,
                           change("u", R"({"item_no":"TEE-1","store_id":"W1","qty":4})",
                                  R"({"item_no":"TEE-1","store_id":"W2","qty":4})"),
                           1, 9);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event.location, "W1");
  EXPECT_EQ(events[0].event.quantity, 0);
  EXPECT_EQ(events[0].event.id, "cdc:erp.public.stock:1:9:0");
  EXPECT_EQ(events[1].event.location, "W2");
  EXPECT_EQ(events[1].event.id, "cdc:erp.public.stock:1:9:1");
}

TEST(Debezium, DeltaRowsBecomeAdjustments) {
  CdcMapping mapping = stock_table(CdcMode::delta);
  mapping.location_column.clear();
  mapping.location = "W1";
  auto events = debezium_events(mapping, change("c", "null", R"({"item_no":"A","qty":5})"), 0, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event.type, EventType::adjustment);
  EXPECT_EQ(events[0].event.quantity, 5);
  EXPECT_EQ(events[0].event.location, "W1");
  EXPECT_EQ(events[0].event.reason, "cdc");
  events = debezium_events(
      mapping, change("u", R"({"item_no":"A","qty":5})", R"({"item_no":"A","qty":8})"), 0, 2);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event.quantity, 3);
  events = debezium_events(
      mapping, change("u", R"({"item_no":"A","qty":8})", R"({"item_no":"A","qty":8})"), 0, 3);
  EXPECT_TRUE(events.empty());  // nothing moved
  events = debezium_events(mapping, change("d", R"({"item_no":"A","qty":8})", "null"), 0, 4);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event.quantity, -8);
}

TEST(Debezium, TombstonesOtherTablesAndBadMessages) {
  const CdcMapping mapping = stock_table();
  EXPECT_TRUE(debezium_events(mapping, "", 0, 1).empty());
  EXPECT_TRUE(debezium_events(
                  mapping,
                  change("c", "null", R"({"item_no":"A","store_id":"W1","qty":1})", "prices"), 0, 1)
                  .empty());
  for (const std::string& bad :
       {std::string("not json"), std::string(R"({"after":{}})"),
        change("x", "null", R"({"item_no":"A","store_id":"W1","qty":1})"),
        change("c", "null", R"({"item_no":"A","store_id":"W1"})"),
        change("c", "null", R"({"store_id":"W1","qty":1})"),
        change("c", "null", R"({"item_no":"A","store_id":"W1","qty":1.5})"),
        change("d", "null", "null"),
        std::string(R"({"op":"c","after":{"item_no":"A","store_id":"W1","qty":1}})")}) {
    const auto events = debezium_events(mapping, bad, 0, 1);
    ASSERT_EQ(events.size(), 1u) << bad;
    EXPECT_EQ(events[0].error, EventError::malformed) << bad;
    EXPECT_EQ(events[0].error_field, "message");
    EXPECT_FALSE(events[0].detail.empty());
  }
}

}  // namespace
}  // namespace stockd
