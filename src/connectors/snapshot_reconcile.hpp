// The daily health check: a system of record's snapshot compared with stockd's
// positions, changing nothing. Reports drift by location and SKU cohort (the product
// family before the SKU's first '-', and the velocity class), every position a
// correction would change, and the likely cause of each from the ledger:
//
//   moved_after_snapshot  facts stockd recorded after the snapshot's as_of account for
//                         the whole difference: the snapshot is older than the stock,
//                         and applying it as a count would lose them
//   late_events           facts that happened before as_of but reached stockd after it
//                         (a fact at as_of itself is neither late nor after)
//   counts_superseded     counts for the position were superseded (a newer count or a
//                         higher-priority source won)
//   missing_events        none of these: a source's facts never reached stockd
//
// A full snapshot also reports positions at its locations that it does not list. Rows
// at locations the catalog does not know are errors, as an import would report them.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "codec/snapshot.hpp"
#include "engine/store.hpp"

namespace stockd {

struct ReconcileOptions {
  bool full = false;               // unlisted positions at the snapshot's locations count as 0
  std::optional<Timestamp> as_of;  // for rows without one
  size_t positions_max = 1000;     // drifting positions listed (largest first)
};

struct DriftTally {
  uint64_t compared = 0;
  uint64_t drifting = 0;
  int64_t units_stockd_over = 0;   // Σ (stockd − snapshot) where stockd holds more
  int64_t units_stockd_under = 0;  // Σ (snapshot − stockd) where stockd holds less
};

struct DriftingPosition {
  std::string sku;
  std::string location;
  int64_t snapshot = 0;
  int64_t stockd = 0;
  int64_t moved_after = 0;  // net on-hand change of facts after as_of
  int64_t late_units = 0;   // net on-hand change of facts before as_of received after it
  uint64_t superseded_counts = 0;
  std::string cause;
  std::string listed;  // "listed", or "not_listed" (a full snapshot's omission)
};

struct ReconcileReport {
  uint64_t rows = 0;
  std::vector<SnapshotRowError> errors;
  DriftTally total;
  std::map<std::string, DriftTally> by_location;
  std::map<std::string, DriftTally> by_family;
  std::map<std::string, DriftTally> by_velocity_class;
  std::map<std::string, uint64_t> by_cause;
  std::vector<DriftingPosition> positions;  // largest |drift| first, up to positions_max
  uint64_t positions_drifting = 0;
};

// Reads `rows` against the store (positions and the ledger); `error` on a store failure.
std::optional<ReconcileReport> reconcile_snapshot(Store& store, std::vector<SnapshotRow> rows,
                                                  std::vector<SnapshotRowError> errors,
                                                  const ReconcileOptions& options, Timestamp now,
                                                  std::string* error);

boost::json::object reconcile_report_json(const ReconcileReport& report);

}  // namespace stockd
