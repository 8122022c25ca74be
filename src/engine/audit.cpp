#include "engine/audit.hpp"

#include <map>
#include <optional>

#include "core/ledger.hpp"

namespace stockd {

AuditReport verify_ledger(Store& store) {
  AuditReport report;
  std::optional<uint32_t> stream_seen;
  uint64_t expected_sequence = 1;
  Sha256Digest expected_prev{};
  const auto fail = [&](uint32_t stream, uint64_t sequence, std::string reason) {
    report.ok = false;
    report.bad_stream = stream;
    report.bad_sequence = sequence;
    report.reason = std::move(reason);
    return false;
  };
  const Status status =
      store.for_each_ledger_record([&](uint32_t stream, uint64_t sequence, std::string_view bytes) {
        if (!stream_seen || *stream_seen != stream) {
          stream_seen = stream;
          report.streams += 1;
          expected_sequence = 1;
          expected_prev = Sha256Digest{};
        }
        if (sequence != expected_sequence) {
          return fail(stream, expected_sequence,
                      "record " + std::to_string(expected_sequence) + " is missing");
        }
        const std::optional<LedgerRecord> record = decode_ledger_record(bytes);
        if (!record) return fail(stream, sequence, "record does not decode");
        if (record->stream != stream || record->sequence != sequence) {
          return fail(stream, sequence, "record is stored under another key");
        }
        if (record->prev_hash != expected_prev) {
          return fail(stream, sequence, "prev_hash does not match the previous record's hash");
        }
        if (chain_hash(record->prev_hash, *record) != record->hash) {
          return fail(stream, sequence, "hash does not match the record's contents");
        }
        expected_prev = record->hash;
        expected_sequence += 1;
        report.records += 1;
        return true;
      });
  if (!status.is_ok() && report.ok) {
    report.ok = false;
    report.reason = "cannot read the ledger: " + status.message();
  }
  return report;
}

PositionAuditReport verify_positions(Store& store) {
  PositionAuditReport report;
  struct Derived {
    Position buckets;
    uint64_t version = 0;
  };
  std::map<std::pair<std::string, std::string>, Derived> derived;
  Status status = store.for_each_ledger_record([&](uint32_t, uint64_t, std::string_view bytes) {
    const std::optional<LedgerRecord> record = decode_ledger_record(bytes);
    if (!record) {
      report.ok = false;
      report.reason = "a ledger record does not decode";
      return false;
    }
    for (const LedgerDelta& delta : record->deltas) {
      derived[{record->sku, delta.location}].buckets.bucket(delta.bucket) += delta.delta;
    }
    for (const PositionVersion& version : record->versions) {
      Derived& entry = derived[{record->sku, version.location}];
      entry.version = std::max(entry.version, version.version);
    }
    return true;
  });
  if (!report.ok) return report;
  size_t matched = 0;
  status = store.for_each_position(
      [&](std::string_view sku, std::string_view location, const Position& position) {
        report.positions += 1;
        if (!report.ok) return;
        const auto found = derived.find({std::string(sku), std::string(location)});
        const Derived empty;
        const Derived& expected = found == derived.end() ? empty : found->second;
        if (found != derived.end()) ++matched;
        for (const Bucket bucket : kAllBuckets) {
          if (position.bucket(bucket) != expected.buckets.bucket(bucket)) {
            report.ok = false;
            report.reason = "position " + std::string(sku) + "@" + std::string(location) + " has " +
                            std::string(bucket_name(bucket)) + "=" +
                            std::to_string(position.bucket(bucket)) + " but its ledger sums to " +
                            std::to_string(expected.buckets.bucket(bucket));
            return;
          }
        }
        if (position.version != expected.version) {
          report.ok = false;
          report.reason = "position " + std::string(sku) + "@" + std::string(location) +
                          " has version " + std::to_string(position.version) +
                          " but its ledger reached " + std::to_string(expected.version);
        }
      });
  if (!status.is_ok() && report.ok) {
    report.ok = false;
    report.reason = status.message();
  }
  if (report.ok && matched != derived.size()) {
    report.ok = false;
    report.reason = "the ledger changes positions that are not stored";
  }
  return report;
}

}  // namespace stockd
