// Batch connectors on a real engine and RocksDB: the snapshot reader (CSV, NDJSON, bad
// rows, any chunking), imports (bad rows reported not fatal, a re-run changes nothing,
// an interrupted import resumes, full imports zero what they do not list), the daily
// health check on a seeded mismatch with each likely cause, and exports now and as of.
#include <gtest/gtest.h>

#include "codec/snapshot.hpp"
#include "connectors/position_export.hpp"
#include "connectors/snapshot_import.hpp"
#include "connectors/snapshot_reconcile.hpp"
#include "engine/engine_fixture.hpp"

namespace stockd {
namespace {

using testing::at;

struct Read {
  std::vector<SnapshotRow> rows;
  std::vector<SnapshotRowError> errors;
  std::optional<std::string> fatal;
};

Read read_all(SnapshotFormat format, std::string_view text, size_t piece = 0) {
  SnapshotReader reader(format);
  Read out;
  if (piece == 0) piece = text.size() + 1;
  for (size_t i = 0; i < text.size(); i += piece) {
    reader.feed(text.substr(i, piece), out.rows, out.errors);
  }
  reader.finish(out.rows, out.errors);
  out.fatal = reader.fatal();
  return out;
}

TEST(SnapshotReader, CsvRowsErrorsAndQuotesInAnyChunking) {
  const std::string csv =
      "location,sku,on_hand,as_of,damaged\r\n"
      "W1,TEE-RED-M,12,2026-11-27T00:00:00Z,1\r\n"
      "\"W1\",\"TEE-BLUE-M\",  7 ,,\n"
      "\n"
      "W1,bad sku,3,,\n"
      "W1,TEE-X,-1,,\n"
      "W1,TEE-Y,4\n"
      "W1,TEE-Z,5,yesterday,\n"
      "W2,TEE-LAST,9,,";
  for (const size_t piece : {size_t{0}, size_t{1}, size_t{7}}) {
    const Read r = read_all(SnapshotFormat::csv, csv, piece);
    ASSERT_FALSE(r.fatal) << *r.fatal;
    ASSERT_EQ(r.rows.size(), 3u) << piece;
    EXPECT_EQ(r.rows[0].sku, "TEE-RED-M");
    EXPECT_EQ(r.rows[0].on_hand, 12);
    EXPECT_EQ(r.rows[0].damaged, 1);
    EXPECT_EQ(r.rows[0].as_of, at("2026-11-27T00:00:00Z"));
    EXPECT_EQ(r.rows[0].line, 2u);
    EXPECT_EQ(r.rows[1].sku, "TEE-BLUE-M");
    EXPECT_EQ(r.rows[1].on_hand, 7);
    EXPECT_FALSE(r.rows[1].as_of);
    EXPECT_EQ(r.rows[2].sku, "TEE-LAST");
    EXPECT_EQ(r.rows[2].line, 9u);
    ASSERT_EQ(r.errors.size(), 4u);
    EXPECT_EQ(r.errors[0].line, 5u);
    EXPECT_NE(r.errors[0].reason.find("sku"), std::string::npos);
    EXPECT_EQ(r.errors[1].line, 6u);
    EXPECT_NE(r.errors[1].reason.find("on_hand"), std::string::npos);
    EXPECT_EQ(r.errors[2].line, 7u);
    EXPECT_NE(r.errors[2].reason.find("expected 5 fields"), std::string::npos);
    EXPECT_EQ(r.errors[3].line, 8u);
    EXPECT_NE(r.errors[3].reason.find("as_of"), std::string::npos);
  }
}

TEST(SnapshotReader, ABadHeaderIsFatal) {
  EXPECT_TRUE(read_all(SnapshotFormat::csv, "sku,location\nA,W1\n").fatal);
  EXPECT_TRUE(read_all(SnapshotFormat::csv, "sku,location,on_hand,colour\n").fatal);
  EXPECT_TRUE(read_all(SnapshotFormat::csv, "sku,sku,location,on_hand\n").fatal);
  EXPECT_TRUE(read_all(SnapshotFormat::csv, "").fatal);
  EXPECT_FALSE(read_all(SnapshotFormat::csv, "sku,location,on_hand\n").fatal);
}

TEST(SnapshotReader, NdjsonRowsAndErrors) {
  const std::string ndjson =
      "{\"sku\":\"A\",\"location\":\"W1\",\"on_hand\":3,\"as_of\":\"2026-11-27T00:00:00Z\"}\n"
      "{\"sku\":\"B\",\"location\":\"W1\",\"on_hand\":\"3\"}\n"
      "not json\n"
      "{\"sku\":\"C\",\"location\":\"W1\"}\n"
      "{\"sku\":\"D\",\"location\":\"W1\",\"on_hand\":1,\"colour\":\"red\"}\n"
      "{\"sku\":\"E\",\"location\":\"W1\",\"on_hand\":0,\"quarantine\":2,\"as_of\":null}\n";
  const Read r = read_all(SnapshotFormat::ndjson, ndjson, 5);
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].sku, "A");
  EXPECT_EQ(r.rows[1].sku, "E");
  EXPECT_EQ(r.rows[1].quarantine, 2);
  EXPECT_EQ(r.rows[1].line, 6u);
  ASSERT_EQ(r.errors.size(), 4u);
  EXPECT_EQ(r.errors[0].line, 2u);
  EXPECT_EQ(r.errors[1].line, 3u);
  EXPECT_EQ(r.errors[2].line, 4u);
  EXPECT_NE(r.errors[2].reason.find("on_hand is required"), std::string::npos);
  EXPECT_EQ(r.errors[3].line, 5u);
}

class SnapshotImportTest : public testing::EngineFixture {
 protected:
  void SetUp() override {
    clock_.set(at("2026-11-27T16:00:00Z"));  // after the snapshots' as_of
    EngineFixture::SetUp();
  }
  ImportReport import(const std::string& id, std::string_view text, bool full = false,
                      size_t chunk_rows = 2, std::optional<size_t> stop_after_bytes = {}) {
    ImportRequest request;
    request.id = id;
    request.source = "wms";
    request.format = SnapshotFormat::csv;
    request.full = full;
    request.as_of = at("2026-11-27T12:00:00Z");
    request.chunk_rows = chunk_rows;
    std::string error;
    std::optional<SnapshotImport> run =
        SnapshotImport::begin(*engine_, *store_, clock_, std::move(request), &error);
    EXPECT_TRUE(run) << error;
    if (stop_after_bytes) {
      run->feed(text.substr(0, *stop_after_bytes));  // then "crash": no finish
      return run->report();
    }
    run->feed(text);
    run->finish();
    return run->report();
  }
  int64_t on_hand(const std::string& sku, const std::string& location = "W1") {
    return position(sku, location).on_hand;
  }
};

const char* kSnapshot =
    "sku,location,on_hand\n"
    "A,W1,10\n"
    "B,W1,20\n"
    "bad sku,W1,1\n"
    "C,W1,30\n"
    "D,NOWHERE,4\n"
    "E,W2,50\n";

TEST_F(SnapshotImportTest, BadRowsAreReportedAndTheRestApplied) {
  const ImportReport r = import("imp-1", kSnapshot);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.rows, 5u);
  EXPECT_EQ(r.changed, 4u);
  EXPECT_EQ(r.failed, 2u);
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].line, 4u);
  EXPECT_EQ(r.errors[1].line, 6u);
  EXPECT_NE(r.errors[1].reason.find("unknown_location"), std::string::npos);
  EXPECT_EQ(on_hand("A"), 10);
  EXPECT_EQ(on_hand("C"), 30);
  EXPECT_EQ(on_hand("E", "W2"), 50);
  EXPECT_EQ(position("A", "W1").last_set->source, "wms");
  // Stored: the report reads back as it was.
  const std::optional<ImportReport> stored = load_import_report(*store_, "imp-1");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->changed, 4u);
  EXPECT_EQ(stored->errors.size(), 2u);
}

TEST_F(SnapshotImportTest, ReRunningChangesNothing) {
  import("imp-1", kSnapshot);
  apply(testing::event(EventType::sale, 3, "2026-11-27T13:00:00Z", "pos", "W1"));  // TEE-RED-M
  const ImportReport again = import("imp-1", kSnapshot);
  EXPECT_EQ(again.changed, 4u);  // the first run's tallies: nothing applied twice
  EXPECT_EQ(on_hand("A"), 10);
  // The same file under another id: every row is already true.
  const ImportReport other = import("imp-2", kSnapshot);
  EXPECT_EQ(other.changed, 0u);
  EXPECT_EQ(other.unchanged, 4u);
  // A different source, format or mode under the same id is refused.
  ImportRequest request;
  request.id = "imp-1";
  request.source = "pos";
  request.as_of = at("2026-11-27T12:00:00Z");
  std::string error;
  EXPECT_FALSE(SnapshotImport::begin(*engine_, *store_, clock_, request, &error));
  EXPECT_NE(error.find("exists"), std::string::npos);
  // A snapshot from the future is refused (its counts would be clamped to now).
  request.id = "imp-future";
  request.source = "wms";
  request.as_of = clock_.now() + std::chrono::hours(1);
  EXPECT_FALSE(SnapshotImport::begin(*engine_, *store_, clock_, request, &error));
  EXPECT_NE(error.find("future"), std::string::npos);
}

TEST_F(SnapshotImportTest, AnInterruptedImportResumesWhereItStopped) {
  const std::string text = kSnapshot;
  // Feed up to the middle of line 5 ("C,W1,30"): chunks of 2 rows: A and B applied, and
  // line 4's error reported with them.
  const size_t cut = text.find("C,W1") + 2;
  const ImportReport partial = import("imp-r", text, false, 2, cut);
  EXPECT_FALSE(partial.done);
  EXPECT_EQ(partial.lines_done, 4u);
  reopen();  // the process died; the store survives
  EXPECT_EQ(on_hand("A"), 10);
  EXPECT_EQ(on_hand("C"), 0);
  const ImportReport resumed = import("imp-r", text);
  EXPECT_EQ(resumed.resumed_after_line, 4u);
  EXPECT_TRUE(resumed.done);
  EXPECT_EQ(resumed.rows, 5u);
  EXPECT_EQ(resumed.changed, 4u);
  EXPECT_EQ(resumed.duplicates, 0u);  // skipped, not re-sent
  EXPECT_EQ(resumed.failed, 2u);
  EXPECT_EQ(on_hand("C"), 30);
}

TEST_F(SnapshotImportTest, AFullImportCountsWhatItDoesNotListAsZero) {
  apply(testing::event(EventType::receipt, 7, "2026-11-27T10:00:00Z", "wms", "W1"));  // TEE-RED-M
  apply(testing::event(EventType::receipt, 5, "2026-11-27T10:00:00Z", "wms", "W2"));
  const std::string full = "sku,location,on_hand\nA,W1,10\n";
  const ImportReport r = import("imp-full", full, true);
  EXPECT_EQ(r.zeroed, 1u);
  EXPECT_EQ(on_hand("TEE-RED-M"), 0);
  EXPECT_EQ(on_hand("TEE-RED-M", "W2"), 5);  // another location: not in the snapshot
  EXPECT_EQ(on_hand("A"), 10);
  // With a failed row nothing is zeroed, and the report says why.
  apply(testing::event(EventType::receipt, 7, "2026-11-27T13:00:00Z", "wms", "W1"));
  const ImportReport failed =
      import("imp-full-2", "sku,location,on_hand\nA,W1,10\nbad sku,W1,1\n", true);
  EXPECT_EQ(failed.zeroed, 0u);
  EXPECT_NE(failed.zeroing.find("failed"), std::string::npos);
  EXPECT_EQ(on_hand("TEE-RED-M"), 7);
}

TEST_F(SnapshotImportTest, ReconcileFindsSeededDriftAndItsLikelyCause) {
  const Timestamp as_of = at("2026-11-27T12:00:00Z");
  clock_.set(at("2026-11-27T09:00:00Z"));
  Event e = testing::event(EventType::receipt, 10, "2026-11-27T09:00:00Z", "wms", "W1");
  for (const char* sku : {"MOVED", "LATE", "SUPERSEDED", "MISSING", "SAME"}) {
    e.id = std::string("r-") + sku;
    e.sku = sku;
    apply(e);
  }
  // MOVED: sold 4 after the snapshot (stockd 6, snapshot 10).
  clock_.set(at("2026-11-27T14:00:00Z"));
  Event sale = testing::event(EventType::sale, 4, "2026-11-27T13:00:00Z", "pos", "W1");
  sale.sku = "MOVED";
  apply(sale);
  // LATE: a sale at 11:00 that reached stockd at 14:00 (the snapshot at 12:00 has it: 7).
  Event late = testing::event(EventType::sale, 3, "2026-11-27T11:00:00Z", "pos", "W1");
  late.sku = "LATE";
  apply(late);
  // SUPERSEDED: the WMS counted 10; a lower-priority count of 8 was superseded.
  Event count = testing::event(EventType::count, 10, "2026-11-27T10:00:00Z", "wms", "W1");
  count.sku = "SUPERSEDED";
  apply(count);
  count = testing::event(EventType::count, 8, "2026-11-27T11:00:00Z", "pos", "W1");
  count.sku = "SUPERSEDED";
  EXPECT_EQ(apply(count).status, EventStatus::superseded);
  const std::string snapshot =
      "sku,location,on_hand\n"
      "MOVED,W1,10\n"
      "LATE,W1,9\n"
      "SUPERSEDED,W1,8\n"
      "MISSING,W1,2\n"
      "SAME,W1,10\n"
      "ELSEWHERE,NOWHERE,3\n";
  const Read read = read_all(SnapshotFormat::csv, snapshot);
  ReconcileOptions options;
  options.as_of = as_of;
  std::string error;
  const std::optional<ReconcileReport> report =
      reconcile_snapshot(*store_, read.rows, read.errors, options, clock_.now(), &error);
  ASSERT_TRUE(report) << error;
  EXPECT_EQ(report->total.compared, 5u);
  ASSERT_EQ(report->errors.size(), 1u);
  EXPECT_EQ(report->errors[0].line, 7u);
  EXPECT_NE(report->errors[0].reason.find("unknown_location"), std::string::npos);
  EXPECT_EQ(report->total.drifting, 4u);
  std::map<std::string, std::string> causes;
  for (const DriftingPosition& d : report->positions) causes[d.sku] = d.cause;
  EXPECT_EQ(causes["MOVED"], "moved_after_snapshot");
  EXPECT_EQ(causes["LATE"], "late_events");
  EXPECT_EQ(causes["SUPERSEDED"], "counts_superseded");
  EXPECT_EQ(causes["MISSING"], "missing_events");
  EXPECT_FALSE(causes.contains("SAME"));
  EXPECT_EQ(report->positions.front().sku, "MISSING");  // the largest drift (8) first
  EXPECT_EQ(report->by_location.at("W1").drifting, 4u);
  // Nothing changed.
  EXPECT_EQ(on_hand("MISSING"), 10);
  // A full check also reports what the snapshot does not list.
  apply(testing::event(EventType::receipt, 3, "2026-11-27T09:00:00Z", "wms", "W1"));
  options.full = true;
  const std::optional<ReconcileReport> full =
      reconcile_snapshot(*store_, read.rows, read.errors, options, clock_.now(), &error);
  ASSERT_TRUE(full);
  bool unlisted = false;
  for (const DriftingPosition& d : full->positions) {
    if (d.sku == "TEE-RED-M") unlisted = d.listed == "not_listed" && d.snapshot == 0;
  }
  EXPECT_TRUE(unlisted);
}

TEST_F(SnapshotImportTest, ExportNowAndAsOfAPastTime) {
  clock_.set(at("2026-11-27T09:00:00Z"));
  apply(testing::event(EventType::receipt, 10, "2026-11-27T09:00:00Z", "wms", "W1"));
  clock_.set(at("2026-11-27T15:00:00Z"));
  apply(testing::event(EventType::sale, 4, "2026-11-27T15:00:00Z", "pos", "W1"));
  std::string now_csv = position_export_header(SnapshotFormat::csv);
  std::string error;
  ASSERT_TRUE(for_each_position_as_of(
      *store_, std::nullopt,
      [&](std::string_view sku, std::string_view location, const Position& p) {
        now_csv += position_export_line(SnapshotFormat::csv, sku, location, p, clock_.now());
      },
      &error));
  EXPECT_NE(now_csv.find("TEE-RED-M,W1,6,0,0,6,"), std::string::npos) << now_csv;
  std::string past;
  ASSERT_TRUE(for_each_position_as_of(
      *store_, at("2026-11-27T12:00:00Z"),
      [&](std::string_view sku, std::string_view location, const Position& p) {
        past += position_export_line(SnapshotFormat::ndjson, sku, location, p,
                                     at("2026-11-27T12:00:00Z"));
      },
      &error));
  EXPECT_NE(past.find("\"sku\":\"TEE-RED-M\",\"location\":\"W1\",\"on_hand\":10"),
            std::string::npos)
      << past;
}

}  // namespace
}  // namespace stockd
