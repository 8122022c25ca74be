#include "core/purchase_order.hpp"

#include <algorithm>

#include "base/assert.hpp"
#include "base/limits.hpp"
#include "core/ids.hpp"

namespace stockd {

std::string_view purchase_order_error_name(PurchaseOrderError error) {
  switch (error) {
    case PurchaseOrderError::none:
      return "none";
    case PurchaseOrderError::invalid_id:
      return "invalid_id";
    case PurchaseOrderError::invalid_vendor:
      return "invalid_vendor";
    case PurchaseOrderError::invalid_sku:
      return "invalid_sku";
    case PurchaseOrderError::unknown_location:
      return "unknown_location";
    case PurchaseOrderError::quantity_out_of_range:
      return "quantity_out_of_range";
    case PurchaseOrderError::missing_expected_at:
      return "missing_expected_at";
    case PurchaseOrderError::changes_sku_or_location:
      return "changes_sku_or_location";
    case PurchaseOrderError::below_promised:
      return "below_promised";
  }
  STOCKD_UNREACHABLE();
}

PurchaseOrderError check_purchase_order(const PurchaseOrder& po, const PurchaseOrder* existing,
                                        bool location_known) {
  if (!is_valid_id(po.id)) return PurchaseOrderError::invalid_id;
  if (!is_valid_id(po.vendor)) return PurchaseOrderError::invalid_vendor;
  if (!is_valid_sku(po.sku)) return PurchaseOrderError::invalid_sku;
  if (!location_known) return PurchaseOrderError::unknown_location;
  if (po.quantity < 1 || po.quantity > limits::quantity_max) {
    return PurchaseOrderError::quantity_out_of_range;
  }
  if (micros_of(po.expected_at) <= 0) return PurchaseOrderError::missing_expected_at;
  if (existing != nullptr) {
    if (existing->sku != po.sku || existing->location != po.location) {
      return PurchaseOrderError::changes_sku_or_location;
    }
    const int64_t remaining_after = std::max<int64_t>(0, po.quantity - existing->received);
    if (remaining_after < existing->promised) return PurchaseOrderError::below_promised;
  }
  return PurchaseOrderError::none;
}

BackorderPlan plan_backorder(const std::vector<const PurchaseOrder*>& pos, int64_t quantity) {
  STOCKD_ASSERT(quantity >= 1);
  std::vector<size_t> order(pos.size());
  for (size_t i = 0; i < pos.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (pos[a]->expected_at != pos[b]->expected_at)
      return pos[a]->expected_at < pos[b]->expected_at;
    return pos[a]->created_at < pos[b]->created_at;
  });
  BackorderPlan plan;
  for (const size_t index : order) {
    const PurchaseOrder& po = *pos[index];
    if (!po_open(po)) continue;
    plan.backorderable += po_free(po);
    if (!plan.chosen && po_free(po) >= quantity) {
      plan.chosen = index;
      plan.expected_at = po.expected_at;
    }
  }
  return plan;
}

}  // namespace stockd
