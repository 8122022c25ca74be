// Every position, now (as stored) or as recorded by a past time (the ledger replayed:
// the records received by then), in (SKU, location) order. For exports to finance and BI.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "core/position.hpp"
#include "engine/store.hpp"

namespace stockd {

using PositionVisit =
    std::function<void(std::string_view sku, std::string_view location, const Position&)>;

// `error` is set when the store fails or a ledger record does not decode.
bool for_each_position_as_of(Store& store, std::optional<Timestamp> as_of,
                             const PositionVisit& visit, std::string* error);

}  // namespace stockd
