#include "engine/audit.hpp"

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
  const Status status = store.for_each_ledger_record(
      [&](uint32_t stream, uint64_t sequence, std::string_view bytes) {
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

}  // namespace stockd
