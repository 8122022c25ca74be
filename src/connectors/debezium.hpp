// Change data capture: Debezium change events (the envelope with `before` and `after`
// row images, `op` c/r/u/d and `source.ts_ms`, with or without the `schema`/`payload`
// wrapper) mapped to stock facts by a declarative mapping ([[cdc]] in stockd.toml), so
// a legacy database's stock table becomes a source without code.
//
//   absolute  the quantity column is on-hand: an insert, read or update is a `count` of
//             the new value; a delete is a count of 0; a row whose SKU or location
//             changed counts the old place as 0 and the new one as its value
//   delta     the column is a movement (a ledger-style table): an insert is an
//             `adjustment` of +value, an update of after − before, a delete of −before
//
// Each fact's id is "cdc:<topic>:<partition>:<offset>[:n]", so a re-read of the topic
// applies nothing twice; its time is `source.ts_ms` (else the envelope's `ts_ms`).
// Pure apart from JSON parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/json.hpp"

namespace stockd {

enum class CdcMode : uint8_t { absolute = 1, delta = 2 };

struct CdcMapping {
  std::string topic;
  std::string table;   // only changes of this table (source.table); "" = any
  std::string source;  // the stockd source the facts speak for
  std::string sku_column;
  std::string location_column;  // the location from a column, or
  std::string location;         // a fixed location for the whole table
  std::string quantity_column;
  CdcMode mode = CdcMode::absolute;
};

// "" when the mapping is usable, else what is wrong with it.
std::string check_cdc_mapping(const CdcMapping& mapping);

// The facts one message carries (none for a tombstone, another table, or a change that
// moves nothing); an unreadable message is one ParsedEvent with error `malformed`.
std::vector<ParsedEvent> debezium_events(const CdcMapping& mapping, std::string_view value,
                                         int32_t partition, int64_t offset);

}  // namespace stockd
