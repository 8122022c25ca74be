#include "connectors/snapshot_reconcile.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <unordered_map>

#include "core/forecast.hpp"
#include "core/ledger.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

std::string key_of(std::string_view sku, std::string_view location) {
  std::string key(sku);
  key.push_back('\0');
  key.append(location);
  return key;
}

std::string family_of(std::string_view sku) {
  const size_t dash = sku.find('-');
  return std::string(dash == std::string_view::npos ? sku : sku.substr(0, dash));
}

void tally(DriftTally& t, int64_t drift) {
  ++t.compared;
  if (drift == 0) return;
  ++t.drifting;
  (drift > 0 ? t.units_stockd_over : t.units_stockd_under) += std::llabs(drift);
}

json::object tally_json(const DriftTally& t) {
  return json::object{{"compared", t.compared},
                      {"drifting", t.drifting},
                      {"units_stockd_over", t.units_stockd_over},
                      {"units_stockd_under", t.units_stockd_under}};
}

struct Candidate {
  std::string sku;
  std::string location;
  int64_t snapshot = 0;
  Timestamp as_of{};
  bool listed = true;
  Position position;
  bool seen = false;  // stockd has a position
};

}  // namespace

std::optional<ReconcileReport> reconcile_snapshot(Store& store, std::vector<SnapshotRow> rows,
                                                  std::vector<SnapshotRowError> errors,
                                                  const ReconcileOptions& options, Timestamp now,
                                                  std::string* error) {
  ReconcileReport report;
  report.errors = std::move(errors);
  Catalog catalog;
  if (const Status loaded = store.load_catalog(catalog); !loaded.is_ok()) {
    *error = loaded.message();
    return std::nullopt;
  }
  std::unordered_map<std::string, Candidate> candidates;
  std::set<std::string> locations;
  std::optional<Timestamp> full_as_of = options.as_of;
  for (SnapshotRow& row : rows) {
    ++report.rows;
    const std::optional<Timestamp> as_of = row.as_of ? row.as_of : options.as_of;
    if (!as_of) {
      report.errors.push_back({row.line, "as_of: the row has none and the check gives none"});
      continue;
    }
    if (catalog.find_location(row.location) == nullptr) {
      report.errors.push_back({row.line, "unknown_location (location)"});
      continue;
    }
    if (!full_as_of) full_as_of = as_of;
    locations.insert(row.location);
    Candidate& c = candidates[key_of(row.sku, row.location)];
    c.sku = std::move(row.sku);
    c.location = std::move(row.location);
    c.snapshot = row.on_hand;
    c.as_of = *as_of;
  }
  Status status = store.for_each_position(
      [&](std::string_view sku, std::string_view location, const Position& position) {
        const std::string key = key_of(sku, location);
        if (const auto found = candidates.find(key); found != candidates.end()) {
          found->second.position = position;
          found->second.seen = true;
          return;
        }
        if (!options.full || !full_as_of || position.on_hand == 0 ||
            !locations.contains(std::string(location))) {
          return;
        }
        Candidate c;
        c.sku = std::string(sku);
        c.location = std::string(location);
        c.snapshot = 0;
        c.as_of = *full_as_of;
        c.listed = false;
        c.position = position;
        c.seen = true;
        candidates.emplace(key, std::move(c));
      });
  if (!status.is_ok()) {
    *error = status.message();
    return std::nullopt;
  }
  // Drifting positions, then one ledger pass for their causes.
  std::unordered_map<std::string, DriftingPosition> drifting;
  for (auto& [key, c] : candidates) {
    const int64_t drift = c.position.on_hand - c.snapshot;
    tally(report.total, drift);
    tally(report.by_location[c.location], drift);
    tally(report.by_family[family_of(c.sku)], drift);
    tally(report.by_velocity_class[std::string(
              velocity_class_name(velocity_class(c.position.demand, now)))],
          drift);
    if (drift == 0) continue;
    DriftingPosition d;
    d.sku = c.sku;
    d.location = c.location;
    d.snapshot = c.snapshot;
    d.stockd = c.position.on_hand;
    d.listed = c.listed ? "listed" : "not_listed";
    drifting.emplace(key, std::move(d));
  }
  if (!drifting.empty()) {
    bool readable = true;
    status = store.for_each_ledger_record([&](uint32_t, uint64_t, std::string_view bytes) {
      const std::optional<LedgerRecord> record = decode_ledger_record(bytes);
      if (!record) {
        readable = false;
        return false;
      }
      if (record->kind != RecordKind::event || record->status == EventStatus::rejected) return true;
      const auto found = drifting.find(key_of(record->sku, record->event.location));
      if (found == drifting.end()) return true;
      const Candidate& c = candidates.at(found->first);
      if (record->status == EventStatus::superseded && record->event.type == EventType::count) {
        ++found->second.superseded_counts;
      }
      int64_t units = 0;
      for (const LedgerDelta& delta : record->deltas) {
        if (delta.location == record->event.location && delta.bucket == Bucket::on_hand) {
          units += delta.delta;
        }
      }
      // A fact at the snapshot's own instant is neither: the two saw the same moment.
      if (record->effective_occurred_at > c.as_of) {
        found->second.moved_after += units;
      } else if (record->effective_occurred_at < c.as_of && record->received_at > c.as_of) {
        found->second.late_units += units;
      }
      return true;
    });
    if (!status.is_ok() || !readable) {
      *error = status.is_ok() ? "an unreadable ledger record" : status.message();
      return std::nullopt;
    }
  }
  for (auto& [key, d] : drifting) {
    const int64_t drift = d.stockd - d.snapshot;
    if (d.moved_after != 0 && d.moved_after == drift) {
      d.cause = "moved_after_snapshot";
    } else if (d.late_units != 0) {
      d.cause = "late_events";
    } else if (d.superseded_counts > 0) {
      d.cause = "counts_superseded";
    } else {
      d.cause = "missing_events";
    }
    ++report.by_cause[d.cause];
    report.positions.push_back(std::move(d));
  }
  report.positions_drifting = report.positions.size();
  std::sort(report.positions.begin(), report.positions.end(),
            [](const DriftingPosition& a, const DriftingPosition& b) {
              const int64_t da = std::llabs(a.stockd - a.snapshot);
              const int64_t db = std::llabs(b.stockd - b.snapshot);
              if (da != db) return da > db;
              return std::tie(a.sku, a.location) < std::tie(b.sku, b.location);
            });
  if (report.positions.size() > options.positions_max) {
    report.positions.resize(options.positions_max);
  }
  std::sort(report.errors.begin(), report.errors.end(),
            [](const SnapshotRowError& a, const SnapshotRowError& b) { return a.line < b.line; });
  return report;
}

json::object reconcile_report_json(const ReconcileReport& report) {
  const auto tallies = [](const std::map<std::string, DriftTally>& map) {
    json::object out;
    for (const auto& [name, t] : map) out[name] = tally_json(t);
    return out;
  };
  json::object causes;
  for (const auto& [cause, count] : report.by_cause) causes[cause] = count;
  json::array positions;
  for (const DriftingPosition& d : report.positions) {
    positions.push_back(json::object{{"sku", d.sku},
                                     {"location", d.location},
                                     {"snapshot", d.snapshot},
                                     {"stockd", d.stockd},
                                     {"drift", d.stockd - d.snapshot},
                                     {"would_change_by", d.snapshot - d.stockd},
                                     {"listed", d.listed},
                                     {"moved_after_snapshot", d.moved_after},
                                     {"late_units", d.late_units},
                                     {"superseded_counts", d.superseded_counts},
                                     {"likely_cause", d.cause}});
  }
  json::array errors;
  for (const SnapshotRowError& e : report.errors) {
    errors.push_back(json::object{{"line", e.line}, {"reason", e.reason}});
  }
  return json::object{{"rows", report.rows},
                      {"total", tally_json(report.total)},
                      {"by_location", tallies(report.by_location)},
                      {"by_family", tallies(report.by_family)},
                      {"by_velocity_class", tallies(report.by_velocity_class)},
                      {"by_cause", std::move(causes)},
                      {"positions_drifting", report.positions_drifting},
                      {"positions", std::move(positions)},
                      {"errors", std::move(errors)}};
}

}  // namespace stockd
