// Purchase orders (open vendor POs) and backorder promises (DESIGN §2). An open PO
// raises `incoming` at its location. A backorder reservation is a promise against one
// PO, made first promise first in order of expected date; its window
// [promise_from, promise_to] is locked when made: a PO that later slips past it marks the
// promise at risk instead of silently moving it. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"

namespace stockd {

inline constexpr Duration kPromiseWindow = std::chrono::hours{72};

struct PurchaseOrder {
  std::string id;
  std::string vendor;
  std::string sku;
  std::string location;
  int64_t quantity = 0;  // ordered
  int64_t received = 0;  // by receipts that name this PO as their reference
  int64_t promised = 0;  // held by active or committed backorder reservations
  Timestamp expected_at{};
  Timestamp created_at{};
  Timestamp updated_at{};
  friend bool operator==(const PurchaseOrder&, const PurchaseOrder&) = default;
};

inline int64_t po_remaining(const PurchaseOrder& po) {
  return po.quantity > po.received ? po.quantity - po.received : 0;
}
inline int64_t po_free(const PurchaseOrder& po) {
  const int64_t free_units = po_remaining(po) - po.promised;
  return free_units > 0 ? free_units : 0;
}
inline bool po_open(const PurchaseOrder& po) { return po_remaining(po) > 0; }

enum class PurchaseOrderError : uint8_t {
  none = 0,
  invalid_id = 1,
  invalid_vendor = 2,
  invalid_sku = 3,
  unknown_location = 4,
  quantity_out_of_range = 5,
  missing_expected_at = 6,
  changes_sku_or_location = 7,  // an update may not move a PO to another SKU or location
  below_promised = 8,           // an update may not cut a PO below what is already promised
};
std::string_view purchase_order_error_name(PurchaseOrderError error);

// Checks a new or updated PO (`existing` when it is an update).
PurchaseOrderError check_purchase_order(const PurchaseOrder& po, const PurchaseOrder* existing,
                                        bool location_known);

struct BackorderPlan {
  int64_t backorderable = 0;             // free units over every open PO considered
  std::optional<size_t> chosen;          // index of the PO that can promise `quantity`, if any
  std::optional<Timestamp> expected_at;  // the chosen PO's date
};

// Plans a backorder promise of `quantity` over `pos` (open POs at the channel's pool):
// the earliest expected PO with enough free units wins; ties go to the older PO.
BackorderPlan plan_backorder(const std::vector<const PurchaseOrder*>& pos, int64_t quantity);

}  // namespace stockd
