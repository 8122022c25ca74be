// Shared fixtures for domain tests: a small catalog and an event builder.
#pragma once

#include "base/time.hpp"
#include "core/catalog.hpp"
#include "core/event.hpp"

namespace stockd::testing {

inline Timestamp at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

inline Catalog test_catalog() {
  Catalog catalog;
  for (const char* id : {"W1", "W2", "S1"}) {
    Location location;
    location.id = id;
    location.type = id[0] == 'S' ? LocationType::store : LocationType::warehouse;
    catalog.put(location);
  }
  catalog.put(Source{"wms", 100});
  catalog.put(Source{"pos", 50});
  catalog.put(Source{"oms", 50});
  return catalog;
}

inline Event event(EventType type, int64_t quantity,
                   const char* occurred_at = "2026-11-27T10:00:00Z", const char* source = "wms",
                   const char* location = "W1") {
  Event e;
  static int serial = 0;
  e.id = "e-" + std::to_string(++serial);
  e.source = source;
  e.type = type;
  e.sku = "TEE-RED-M";
  e.location = location;
  e.quantity = quantity;
  e.occurred_at = at(occurred_at);
  if (type == EventType::cancellation) e.reason = "customer_request";
  if (type == EventType::shrink || type == EventType::adjustment) e.reason = "cycle_loss";
  if (type == EventType::return_) e.condition = "resellable";
  if (type == EventType::transfer_out) e.to_location = "W2";
  if (type == EventType::status_change) {
    e.from_status = "on_hand";
    e.to_status = "damaged";
  }
  return e;
}

}  // namespace stockd::testing
