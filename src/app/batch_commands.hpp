// The batch connectors' CLI: `stockd import`, `stockd reconcile`, `stockd export`
// (connectors/snapshot_import.hpp, snapshot_reconcile.hpp, position_export.hpp).
#pragma once

#include <optional>
#include <string>

#include "base/time.hpp"
#include "engine/engine.hpp"
#include "engine/store.hpp"

namespace stockd {

struct BatchFileOptions {
  std::string file;            // "-" = standard input
  std::string format = "csv";  // csv | ndjson
  bool full = false;
  std::string as_of;  // RFC 3339, or ""
};

// Applies a snapshot file as counts with a progress bar on stderr; prints the report.
// Exit 0 when every row applied, 1 when some rows failed, 2 when nothing could be read.
int run_import(Engine& engine, Store& store, const Clock& clock, const BatchFileOptions& file,
               const std::string& id, const std::string& source, size_t chunk_rows);

// Compares a snapshot file with the store (read-only: works beside a running server).
int run_reconcile(Store& store, const Clock& clock, const BatchFileOptions& file, size_t limit);

// Writes every position (now, or as recorded by `as_of`) to `out_path` ("-" = stdout).
int run_export(Store& store, const Clock& clock, const std::string& format,
               const std::string& as_of, const std::string& out_path);

}  // namespace stockd
