#include "app/batch_commands.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "connectors/position_export.hpp"
#include "connectors/snapshot_import.hpp"
#include "connectors/snapshot_reconcile.hpp"

namespace stockd {
namespace {

constexpr size_t kReadBytes = 1 << 20;

struct Input {
  std::ifstream file;
  std::istream* in = &std::cin;
  uint64_t size_bytes = 0;  // 0 when unknown (stdin)
};

bool open_input(const std::string& path, Input& input) {
  if (path == "-") return true;
  input.file.open(path, std::ios::binary | std::ios::ate);
  if (!input.file) {
    std::fprintf(stderr, "stockd: cannot read %s\n", path.c_str());
    return false;
  }
  input.size_bytes = static_cast<uint64_t>(input.file.tellg());
  input.file.seekg(0);
  input.in = &input.file;
  return true;
}

bool parse_common(const BatchFileOptions& options, SnapshotFormat& format,
                  std::optional<Timestamp>& as_of) {
  const auto parsed = snapshot_format_from_name(options.format);
  if (!parsed) {
    std::fprintf(stderr, "stockd: --format is csv or ndjson\n");
    return false;
  }
  format = *parsed;
  if (!options.as_of.empty()) {
    as_of = parse_rfc3339(options.as_of);
    if (!as_of) {
      std::fprintf(stderr, "stockd: --as-of is an RFC 3339 time\n");
      return false;
    }
  }
  return true;
}

// "\r  1,234,567 rows  45%  230,000 rows/s" on stderr, at most five times a second.
class ProgressBar {
 public:
  explicit ProgressBar(uint64_t total_bytes) : total_bytes_(total_bytes) {}
  void show(uint64_t bytes, uint64_t rows, bool last = false) {
    const auto now = std::chrono::steady_clock::now();
    if (!last && now - shown_ < std::chrono::milliseconds(200)) return;
    shown_ = now;
    const double seconds = std::chrono::duration<double>(now - started_).count();
    const double rate = seconds > 0 ? static_cast<double>(rows) / seconds : 0;
    if (total_bytes_ > 0) {
      const int percent = static_cast<int>(100 * bytes / total_bytes_);
      std::string bar(static_cast<size_t>(percent / 4), '#');
      bar.resize(25, '.');
      std::fprintf(stderr, "\r  [%s] %3d%%  %llu rows  %.0f rows/s ", bar.c_str(), percent,
                   static_cast<unsigned long long>(rows), rate);
    } else {
      std::fprintf(stderr, "\r  %llu rows  %.0f rows/s ", static_cast<unsigned long long>(rows),
                   rate);
    }
    if (last) std::fprintf(stderr, "(%.1f s)\n", seconds);
  }

 private:
  uint64_t total_bytes_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point shown_{};
};

}  // namespace

int run_import(Engine& engine, Store& store, const Clock& clock, const BatchFileOptions& options,
               const std::string& id, const std::string& source, size_t chunk_rows) {
  SnapshotFormat format = SnapshotFormat::csv;
  std::optional<Timestamp> as_of;
  if (!parse_common(options, format, as_of)) return 2;
  Input input;
  if (!open_input(options.file, input)) return 2;
  ImportRequest request;
  request.id = id;
  request.source = source;
  request.format = format;
  request.full = options.full;
  request.as_of = as_of;
  request.chunk_rows = chunk_rows;
  std::string error;
  std::optional<SnapshotImport> import =
      SnapshotImport::begin(engine, store, clock, std::move(request), &error);
  if (!import) {
    std::fprintf(stderr, "stockd: import: %s\n", error.c_str());
    return 2;
  }
  if (import->already_done()) {
    std::fprintf(stderr, "stockd: import %s is already done; nothing changed\n", id.c_str());
  } else if (import->report().resumed_after_line > 0) {
    std::fprintf(stderr, "stockd: resuming import %s after line %llu\n", id.c_str(),
                 static_cast<unsigned long long>(import->report().resumed_after_line));
  }
  ProgressBar progress(input.size_bytes);
  std::string buffer(kReadBytes, '\0');
  while (*input.in && !import->fatal() && !import->already_done()) {
    input.in->read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<size_t>(input.in->gcount());
    if (got == 0) break;
    import->feed(std::string_view(buffer.data(), got));
    progress.show(import->bytes_fed(), import->report().rows);
  }
  import->finish();
  if (!import->already_done()) progress.show(import->bytes_fed(), import->report().rows, true);
  std::cout << boost::json::serialize(import_report_json(import->report())) << '\n';
  if (import->fatal()) {
    std::fprintf(stderr, "stockd: import: %s\n", import->fatal()->c_str());
    return 2;
  }
  return import->report().failed == 0 ? 0 : 1;
}

int run_reconcile(Store& store, const Clock& clock, const BatchFileOptions& options, size_t limit) {
  SnapshotFormat format = SnapshotFormat::csv;
  std::optional<Timestamp> as_of;
  if (!parse_common(options, format, as_of)) return 2;
  Input input;
  if (!open_input(options.file, input)) return 2;
  SnapshotReader reader(format);
  std::vector<SnapshotRow> rows;
  std::vector<SnapshotRowError> errors;
  std::string buffer(kReadBytes, '\0');
  while (*input.in && !reader.fatal()) {
    input.in->read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<size_t>(input.in->gcount());
    if (got == 0) break;
    reader.feed(std::string_view(buffer.data(), got), rows, errors);
  }
  reader.finish(rows, errors);
  if (reader.fatal()) {
    std::fprintf(stderr, "stockd: reconcile: %s\n", reader.fatal()->c_str());
    return 2;
  }
  ReconcileOptions reconcile;
  reconcile.full = options.full;
  reconcile.as_of = as_of;
  reconcile.positions_max = limit;
  std::string error;
  const std::optional<ReconcileReport> report =
      reconcile_snapshot(store, std::move(rows), std::move(errors), reconcile, clock.now(), &error);
  if (!report) {
    std::fprintf(stderr, "stockd: reconcile: %s\n", error.c_str());
    return 2;
  }
  std::cout << boost::json::serialize(reconcile_report_json(*report)) << '\n';
  std::fprintf(stderr, "stockd: %llu of %llu positions drift\n",
               static_cast<unsigned long long>(report->total.drifting),
               static_cast<unsigned long long>(report->total.compared));
  return report->total.drifting == 0 ? 0 : 1;
}

int run_export(Store& store, const Clock& clock, const std::string& format_name,
               const std::string& as_of_text, const std::string& out_path) {
  const auto format = snapshot_format_from_name(format_name);
  if (!format) {
    std::fprintf(stderr, "stockd: --format is csv or ndjson\n");
    return 2;
  }
  std::optional<Timestamp> as_of;
  if (!as_of_text.empty()) {
    as_of = parse_rfc3339(as_of_text);
    if (!as_of) {
      std::fprintf(stderr, "stockd: --as-of is an RFC 3339 time\n");
      return 2;
    }
  }
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (out_path != "-") {
    file.open(out_path, std::ios::binary | std::ios::trunc);
    if (!file) {
      std::fprintf(stderr, "stockd: cannot write %s\n", out_path.c_str());
      return 2;
    }
    out = &file;
  }
  const Timestamp stamp = as_of.value_or(clock.now());
  *out << position_export_header(*format);
  uint64_t positions = 0;
  std::string error;
  const bool read = for_each_position_as_of(
      store, as_of,
      [&](std::string_view sku, std::string_view location, const Position& position) {
        *out << position_export_line(*format, sku, location, position, stamp);
        ++positions;
      },
      &error);
  out->flush();
  if (!read) {
    std::fprintf(stderr, "stockd: export: %s\n", error.c_str());
    return 2;
  }
  std::fprintf(stderr, "stockd: exported %llu positions as of %s\n",
               static_cast<unsigned long long>(positions), format_rfc3339(stamp).c_str());
  return 0;
}

}  // namespace stockd
