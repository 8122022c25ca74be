#include "connectors/position_export.hpp"

#include <map>

#include "core/ledger.hpp"

namespace stockd {

bool for_each_position_as_of(Store& store, std::optional<Timestamp> as_of,
                             const PositionVisit& visit, std::string* error) {
  if (!as_of) {
    const Status status = store.for_each_position(visit);
    if (!status.is_ok()) *error = status.message();
    return status.is_ok();
  }
  // Keyed SKU '\0' location: the same order as the positions column family.
  std::map<std::string, Position, std::less<>> positions;
  bool corrupt = false;
  const Status status =
      store.for_each_ledger_record([&](uint32_t, uint64_t, std::string_view bytes) {
        const std::optional<LedgerRecord> record = decode_ledger_record(bytes);
        if (!record) {
          corrupt = true;
          return false;
        }
        if (record->received_at > *as_of) return true;
        replay_record(*record, [&](std::string_view location) -> Position& {
          std::string key = record->sku;
          key.push_back('\0');
          key.append(location);
          return positions[key];
        });
        return true;
      });
  if (!status.is_ok() || corrupt) {
    *error = corrupt ? "an unreadable ledger record" : status.message();
    return false;
  }
  for (const auto& [key, position] : positions) {
    const size_t zero = key.find('\0');
    visit(std::string_view(key).substr(0, zero), std::string_view(key).substr(zero + 1), position);
  }
  return true;
}

}  // namespace stockd
