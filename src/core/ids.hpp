// Identifier rules shared by every adapter: SKUs and the ids of locations, sources,
// channels, events and reservations.
#pragma once

#include <string_view>

namespace stockd {

// 1..128 characters of [A-Za-z0-9._:/-].
bool is_valid_sku(std::string_view sku);

// 1..128 characters of [A-Za-z0-9._:-] (no '/', so an id is one URL path segment).
bool is_valid_id(std::string_view id);

}  // namespace stockd
