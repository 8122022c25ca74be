// Snapshot imports: a system of record's on-hand per SKU and location (CSV or NDJSON,
// codec/snapshot.hpp) applied as `count` facts from a registered source, so its
// priority and the superseded rules decide, exactly as for any count.
//
// An import has an id. Each row becomes the fact "import:<id>:<line>", so running the
// same file again changes nothing (duplicates), and its progress (the last line applied
// durably, the tallies, the first 1,000 row errors) is stored after every chunk under
// aux "import/<id>": a re-run of an interrupted import skips what was applied. Bad rows
// are reported with their line number and reason; they never stop the file.
//
// A full import (`full`) is everything at the locations it names: when it finishes,
// positions there not counted at or after its as_of are counted as zero (unless some
// rows failed: then nothing is zeroed and the report says why).
//
// Blocking: call from a thread that may wait on the engine (not a shard callback).
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "codec/snapshot.hpp"
#include "engine/engine.hpp"
#include "engine/store.hpp"

namespace stockd {

inline constexpr std::string_view kImportKeyPrefix = "import/";
inline constexpr size_t kImportErrorsKept = 1000;

struct ImportRequest {
  std::string id;
  std::string source;
  SnapshotFormat format = SnapshotFormat::csv;
  bool full = false;
  std::optional<Timestamp> as_of;  // rows without as_of count at it; required when full
  std::string principal;           // recorded on every fact
  // Whether the caller may write at a location (token restrictions); rows elsewhere fail.
  std::function<bool(std::string_view location)> may_write_at;
  size_t chunk_rows = 5000;
};

struct ImportReport {
  std::string id;
  std::string source;
  SnapshotFormat format = SnapshotFormat::csv;
  bool full = false;
  std::optional<Timestamp> as_of;
  bool done = false;
  uint64_t lines_done = 0;  // every line up to here is applied (or reported) durably
  uint64_t resumed_after_line = 0;
  uint64_t rows = 0;        // rows read (this run and earlier ones)
  uint64_t changed = 0;     // applied with a variance
  uint64_t unchanged = 0;   // applied, on-hand was already right
  uint64_t superseded = 0;  // a newer count or a higher-priority source already covered it
  uint64_t duplicates = 0;  // already applied by an earlier run
  uint64_t failed = 0;      // bad rows and refused facts
  uint64_t zeroed = 0;      // full imports: positions counted as zero
  std::string zeroing;      // full imports: why nothing was zeroed, if so
  std::set<std::string> locations;
  std::vector<SnapshotRowError> errors;  // the first kImportErrorsKept
  Timestamp started_at{};
  Timestamp finished_at{};
};

boost::json::object import_report_json(const ImportReport& report);
std::optional<ImportReport> load_import_report(Store& store, std::string_view id);

class SnapshotImport {
 public:
  // Starts `request.id`, or picks it up where it stopped. Refused (nullopt, `error` set)
  // when the source is unknown, a full import has no as_of, or the id exists with other
  // parameters.
  static std::optional<SnapshotImport> begin(Engine& engine, Store& store, const Clock& clock,
                                             ImportRequest request, std::string* error);

  // Reads `bytes`; applies (durably) every complete chunk of rows.
  void feed(std::string_view bytes);
  // The last line, the last chunk, the zeroing of a full import; stores the report.
  void finish();

  const ImportReport& report() const { return report_; }
  // A CSV header nothing can be read with (the import stops; the report says so).
  const std::optional<std::string>& fatal() const { return reader_.fatal(); }
  bool already_done() const { return already_done_; }
  uint64_t bytes_fed() const { return bytes_fed_; }

 private:
  SnapshotImport(Engine& engine, Store& store, const Clock& clock, ImportRequest request,
                 ImportReport report);
  void add_error(uint64_t line, std::string reason);
  void apply_pending();
  void zero_the_rest();
  void save();

  Engine* engine_;
  Store* store_;
  const Clock* clock_;
  ImportRequest request_;
  ImportReport report_;
  SnapshotReader reader_;
  std::vector<SnapshotRow> pending_;
  std::vector<SnapshotRowError> pending_errors_;
  bool already_done_ = false;
  uint64_t bytes_fed_ = 0;
};

}  // namespace stockd
