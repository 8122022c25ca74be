// The demo retailer: 3 warehouses, 6 stores, a DTC web channel and two marketplaces,
// and a few thousand SKUs. Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "app/config_file.hpp"
#include "core/event.hpp"

namespace stockd {

FileConfig demo_catalog();
std::vector<std::string> demo_skus();

// Opening stock: warehouse receipts and store counts for every SKU, as of `at`, after
// eight weeks of shipment history for the TEE and BEANIE SKUs (for forecasts).
std::vector<Event> demo_opening_events(Timestamp at);

// A gentle stream of everyday facts (sales, receipts, returns, shrink) at `at`;
// `serial` makes ids unique across calls.
std::vector<Event> demo_live_events(std::mt19937_64& random, Timestamp at, uint64_t& serial,
                                    size_t count);

}  // namespace stockd
