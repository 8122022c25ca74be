// Stock snapshots from systems of record, as CSV or NDJSON, read incrementally: feed
// bytes as they arrive, get every complete row (or its error, with the line number).
//
// CSV: a header line naming the columns, in any order: sku, location, on_hand
// (required), as_of, damaged, quarantine, non_sellable (optional). Fields may be quoted
// with double quotes. NDJSON: one object per line with the same names. Blank lines are
// skipped. A bad row is reported and the rest go on; only a bad CSV header is fatal.
//
// Also the other direction: positions as CSV or NDJSON lines (exports).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "core/position.hpp"

namespace stockd {

enum class SnapshotFormat : uint8_t { csv = 1, ndjson = 2 };
std::optional<SnapshotFormat> snapshot_format_from_name(std::string_view name);
std::string_view snapshot_format_name(SnapshotFormat format);

struct SnapshotRow {
  uint64_t line = 0;  // 1-based line in the file (the CSV header is line 1)
  std::string sku;
  std::string location;
  int64_t on_hand = 0;
  std::optional<int64_t> damaged;
  std::optional<int64_t> quarantine;
  std::optional<int64_t> non_sellable;
  std::optional<Timestamp> as_of;
};

struct SnapshotRowError {
  uint64_t line = 0;
  std::string reason;
};

class SnapshotReader {
 public:
  // `first_line` numbers the first line fed (for a file read in parts).
  explicit SnapshotReader(SnapshotFormat format, uint64_t first_line = 1);

  // Parses every complete line in `bytes`; a trailing partial line waits for more.
  void feed(std::string_view bytes, std::vector<SnapshotRow>& rows,
            std::vector<SnapshotRowError>& errors);
  // The last line, if it had no newline.
  void finish(std::vector<SnapshotRow>& rows, std::vector<SnapshotRowError>& errors);

  // A CSV file whose header is unusable: nothing in it can be read.
  const std::optional<std::string>& fatal() const { return fatal_; }
  // Lines consumed so far (complete ones).
  uint64_t lines() const { return next_line_ - first_line_; }

 private:
  void parse_line(std::string_view line, std::vector<SnapshotRow>& rows,
                  std::vector<SnapshotRowError>& errors);
  void parse_header(std::string_view line);
  void parse_csv(std::string_view line, std::vector<SnapshotRow>& rows,
                 std::vector<SnapshotRowError>& errors);
  void parse_ndjson(std::string_view line, std::vector<SnapshotRow>& rows,
                    std::vector<SnapshotRowError>& errors);

  SnapshotFormat format_;
  uint64_t first_line_;
  uint64_t next_line_;
  std::string partial_;
  bool header_read_ = false;
  std::vector<int> columns_;  // per CSV field: which column it is (-1 never: refused)
  std::optional<std::string> fatal_;
};

// Exports: the header (CSV only, "" for NDJSON) and one line per position, with "\n".
std::string position_export_header(SnapshotFormat format);
std::string position_export_line(SnapshotFormat format, std::string_view sku,
                                 std::string_view location, const Position& position,
                                 Timestamp as_of);

}  // namespace stockd
