// Snapshot files (CSV and NDJSON) fed in uneven pieces: every line is a row or an error
// with its line number, never a crash; every reason is valid UTF-8 (it goes into JSON).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/utf8.hpp"
#include "codec/snapshot.hpp"

using namespace stockd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const SnapshotFormat format = data[0] % 2 == 0 ? SnapshotFormat::csv : SnapshotFormat::ndjson;
  const size_t piece = 1 + data[0] % 13;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  SnapshotReader reader(format);
  std::vector<SnapshotRow> rows;
  std::vector<SnapshotRowError> errors;
  for (size_t i = 0; i < text.size(); i += piece) reader.feed(text.substr(i, piece), rows, errors);
  reader.finish(rows, errors);
  for (const SnapshotRow& row : rows) {
    if (row.line == 0 || row.on_hand < 0) __builtin_trap();
  }
  for (const SnapshotRowError& error : errors) {
    if (!is_valid_utf8(error.reason)) __builtin_trap();
  }
  if (reader.fatal() && !is_valid_utf8(*reader.fatal())) __builtin_trap();
  return 0;
}
