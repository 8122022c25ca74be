#include "core/vendor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include <set>

#include "base/bytes.hpp"
#include "base/limits.hpp"
#include "core/ids.hpp"

namespace stockd {

std::string_view asn_error_name(AsnError error) {
  switch (error) {
    case AsnError::none:
      return "none";
    case AsnError::invalid_id:
      return "invalid_id";
    case AsnError::invalid_vendor:
      return "invalid_vendor";
    case AsnError::invalid_lines:
      return "invalid_lines";
    case AsnError::missing_expected_at:
      return "missing_expected_at";
    case AsnError::unknown_purchase_order:
      return "unknown_purchase_order";
    case AsnError::asn_exists:
      return "asn_exists";
  }
  return "unknown";
}

AsnError check_asn(const Asn& asn) {
  if (!is_valid_id(asn.id)) return AsnError::invalid_id;
  if (!is_valid_id(asn.vendor)) return AsnError::invalid_vendor;
  if (asn.lines.empty() || asn.lines.size() > 1000) return AsnError::invalid_lines;
  std::set<std::string_view> skus;
  for (const AsnLine& line : asn.lines) {
    if (!is_valid_sku(line.sku) || !skus.insert(line.sku).second) return AsnError::invalid_lines;
    if (line.quantity < 1 || line.quantity > limits::quantity_max) return AsnError::invalid_lines;
  }
  if (micros_of(asn.expected_at) <= 0) return AsnError::missing_expected_at;
  if (!asn.purchase_order_id.empty() && !is_valid_id(asn.purchase_order_id)) {
    return AsnError::unknown_purchase_order;
  }
  return AsnError::none;
}

std::string encode_asn(const Asn& asn) {
  ByteWriter out;
  out.u8(1);
  out.str(asn.id);
  out.str(asn.vendor);
  out.str(asn.purchase_order_id);
  out.i64(micros_of(asn.expected_at));
  out.i64(micros_of(asn.created_at));
  out.u32(static_cast<uint32_t>(asn.lines.size()));
  for (const AsnLine& line : asn.lines) {
    out.str(line.sku);
    out.i64(line.quantity);
  }
  return out.take();
}

std::optional<Asn> decode_asn(std::string_view bytes) {
  ByteReader in(bytes);
  if (in.u8() != 1) return std::nullopt;
  Asn asn;
  asn.id = in.str();
  asn.vendor = in.str();
  asn.purchase_order_id = in.str();
  asn.expected_at = timestamp_from_micros(in.i64());
  asn.created_at = timestamp_from_micros(in.i64());
  const uint32_t lines = in.u32();
  if (lines > 10'000) return std::nullopt;
  for (uint32_t i = 0; i < lines && in.ok(); ++i) {
    AsnLine line;
    line.sku = in.str();
    line.quantity = in.i64();
    asn.lines.push_back(std::move(line));
  }
  if (!in.ok() || !in.at_end()) return std::nullopt;
  return asn;
}

VendorScorecard score_vendor(std::string vendor, const std::vector<PurchaseOrder>& pos,
                             const std::vector<Asn>& asns,
                             const std::vector<VendorReceipt>& receipts, Timestamp now) {
  VendorScorecard card;
  card.vendor = std::move(vendor);
  // Received units and the first receipt per (reference, sku).
  struct Received {
    int64_t units = 0;
    std::optional<Timestamp> first;
  };
  std::map<std::pair<std::string, std::string>, Received> by_reference;
  for (const VendorReceipt& receipt : receipts) {
    Received& received = by_reference[{receipt.reference, receipt.sku}];
    received.units += receipt.quantity;
    if (!received.first || receipt.received_at < *received.first) {
      received.first = receipt.received_at;
    }
  }
  const auto received_for = [&](const std::string& reference, const std::string& sku) {
    const auto found = by_reference.find({reference, sku});
    return found == by_reference.end() ? Received{} : found->second;
  };

  // ASN accuracy.
  for (const Asn& asn : asns) {
    bool arrived = false;
    for (const AsnLine& line : asn.lines) arrived |= received_for(asn.id, line.sku).units != 0;
    if (!arrived && asn.expected_at > now) continue;  // not due yet: nothing to judge
    ++card.asns;
    for (const AsnLine& line : asn.lines) {
      const int64_t units = received_for(asn.id, line.sku).units;
      ++card.asn_lines;
      if (units == line.quantity) ++card.asn_lines_as_announced;
      card.asn_units_announced += line.quantity;
      card.asn_units_received += units;
      card.asn_units_off += std::llabs(units - line.quantity);
    }
  }
  if (card.asn_lines > 0) {
    card.asn_line_accuracy =
        static_cast<double>(card.asn_lines_as_announced) / static_cast<double>(card.asn_lines);
  }
  if (card.asn_units_announced > 0) {
    card.asn_unit_accuracy = std::max(0.0, 1.0 - static_cast<double>(card.asn_units_off) /
                                                     static_cast<double>(card.asn_units_announced));
  }

  // POs: receipts naming the PO, or an ASN that names the PO (for the PO's SKU).
  std::vector<double> lead_days;
  for (const PurchaseOrder& po : pos) {
    ++card.purchase_orders;
    Received total = received_for(po.id, po.sku);
    for (const Asn& asn : asns) {
      if (asn.purchase_order_id != po.id) continue;
      const Received via_asn = received_for(asn.id, po.sku);
      total.units += via_asn.units;
      if (via_asn.first && (!total.first || *via_asn.first < *total.first)) {
        total.first = via_asn.first;
      }
    }
    if (total.first) {
      ++card.purchase_orders_received;
      lead_days.push_back(std::chrono::duration<double>(*total.first - po.created_at).count() /
                          86'400);
      const Timestamp end_of_expected_day{std::chrono::floor<std::chrono::days>(po.expected_at) +
                                          std::chrono::days{1}};
      if (*total.first < end_of_expected_day) ++card.purchase_orders_on_time;
    }
    if (po.expected_at <= now) {
      card.units_ordered_due += po.quantity;
      card.units_received_due += std::min(total.units, po.quantity);
    }
  }
  if (!lead_days.empty()) {
    double sum = 0;
    for (const double days : lead_days) sum += days;
    const double mean = sum / static_cast<double>(lead_days.size());
    double squares = 0;
    for (const double days : lead_days) squares += (days - mean) * (days - mean);
    card.lead_time_days_mean = mean;
    card.lead_time_days_stddev = std::sqrt(squares / static_cast<double>(lead_days.size()));
    card.on_time_rate = static_cast<double>(card.purchase_orders_on_time) /
                        static_cast<double>(card.purchase_orders_received);
  }
  if (card.units_ordered_due > 0) {
    card.fill_rate =
        static_cast<double>(card.units_received_due) / static_cast<double>(card.units_ordered_due);
  }
  return card;
}

}  // namespace stockd
