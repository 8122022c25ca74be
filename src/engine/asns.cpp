// ASNs (advance shipping notices): stored as aux records, with an in-memory map from ASN
// to the PO it fulfils, so a shard can count a receipt naming the ASN against the PO.
#include <cstdio>
#include <cstdlib>

#include "engine/engine.hpp"

namespace stockd {

Engine::AsnResult Engine::put_asn(Asn asn) {
  AsnResult result;
  result.error = check_asn(asn);
  if (result.error != AsnError::none) return result;
  if (!asn.purchase_order_id.empty()) {
    const std::optional<PurchaseOrder> po = store_.find_purchase_order(asn.purchase_order_id);
    if (!po || po->vendor != asn.vendor) {
      result.error = AsnError::unknown_purchase_order;
      return result;
    }
  }
  std::lock_guard lock(asn_mutex_);  // one writer: the check and the write are one step
  if (std::optional<Asn> existing = find_asn(asn.id)) {
    asn.created_at = existing->created_at;
    if (*existing != asn) result.error = AsnError::asn_exists;
    result.asn = std::move(*existing);
    return result;
  }
  asn.created_at = clock_.now();
  if (Status status = store_.put_aux(std::string(kAsnKeyPrefix) + asn.id, encode_asn(asn));
      !status.is_ok()) {
    std::fprintf(stderr, "stockd: ASN write failed: %s\n", status.message().c_str());
    std::abort();
  }
  if (!asn.purchase_order_id.empty()) asn_purchase_orders_[asn.id] = asn.purchase_order_id;
  result.created = true;
  result.asn = std::move(asn);
  return result;
}

std::optional<Asn> Engine::find_asn(std::string_view id) {
  const std::optional<std::string> bytes =
      store_.get_aux(std::string(kAsnKeyPrefix) + std::string(id));
  return bytes ? decode_asn(*bytes) : std::nullopt;
}

std::vector<Asn> Engine::asns_of_vendor(std::string_view vendor) {
  std::vector<Asn> asns;
  (void)store_.for_each_aux(kAsnKeyPrefix, [&](std::string_view, std::string_view value) {
    std::optional<Asn> asn = decode_asn(value);
    if (asn && asn->vendor == vendor) asns.push_back(std::move(*asn));
  });
  return asns;
}

std::string Engine::asn_purchase_order(std::string_view asn_id) const {
  std::lock_guard lock(asn_mutex_);
  const auto found = asn_purchase_orders_.find(asn_id);
  return found == asn_purchase_orders_.end() ? std::string() : found->second;
}

}  // namespace stockd
