// Verifies the whole ledger: every stream's records decode, sit under their own key,
// number 1, 2, 3... without gaps, and each hash equals SHA-256(prev_hash || record)
// with prev_hash equal to the previous record's hash. Reports the first break.
#pragma once

#include <cstdint>
#include <string>

#include "engine/store.hpp"

namespace stockd {

struct AuditReport {
  bool ok = true;
  uint64_t records = 0;
  uint32_t streams = 0;
  // The first bad record, when !ok.
  uint32_t bad_stream = 0;
  uint64_t bad_sequence = 0;
  std::string reason;
};

AuditReport verify_ledger(Store& store);

struct PositionAuditReport {
  bool ok = true;
  uint64_t positions = 0;
  std::string reason;  // the first position whose stored buckets or version disagree
};

// Recomputes every position from the ledger's bucket deltas and versions, and compares
// with the stored positions: stored state must be exactly the sum of the history.
PositionAuditReport verify_positions(Store& store);

}  // namespace stockd
