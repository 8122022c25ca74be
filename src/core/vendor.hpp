// Vendor paperwork and how well vendors keep to it (pure).
//
// An ASN (advance shipping notice) announces what a vendor is sending: lines of SKU and
// quantity, an expected arrival, optionally the PO it fulfils. Receipts whose `reference`
// is the ASN id are matched to its lines by SKU (and count against the PO when the PO's
// SKU is the line's); receipts whose reference is a PO id count against that PO.
//
// The vendor scorecard, from the vendor's POs, ASNs and the receipts naming them:
// - ASN accuracy, over ASNs that arrived or are due: lines received exactly as
//   announced / lines, and units 1 − Σ|received − announced| / Σ announced (floor 0).
// - Lead time, over POs with a receipt: days from the PO's creation to its first
//   receipt; mean and (population) standard deviation.
// - On-time rate: POs whose first receipt came by the end of the expected day (UTC) /
//   POs with a receipt.
// - Fill rate, over POs due by now: Σ min(received, ordered) / Σ ordered.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "core/purchase_order.hpp"

namespace stockd {

struct AsnLine {
  std::string sku;
  int64_t quantity = 0;
  friend bool operator==(const AsnLine&, const AsnLine&) = default;
};

struct Asn {
  std::string id;
  std::string vendor;
  std::string purchase_order_id;  // "" = none named
  Timestamp expected_at{};
  Timestamp created_at{};
  std::vector<AsnLine> lines;  // one per SKU
  friend bool operator==(const Asn&, const Asn&) = default;
};

inline constexpr std::string_view kAsnKeyPrefix = "asn/";

// Why an ASN is refused. Names are the wire codes.
enum class AsnError : uint8_t {
  none = 0,
  invalid_id = 1,
  invalid_vendor = 2,
  invalid_lines = 3,  // none, more than 1,000, a bad SKU, a quantity out of range, a SKU twice
  missing_expected_at = 4,
  unknown_purchase_order = 5,  // names a PO that does not exist or is another vendor's
  asn_exists = 6,              // this id was announced with other content
};
std::string_view asn_error_name(AsnError error);
// The checks that need nothing but the ASN (the PO is checked by the engine).
AsnError check_asn(const Asn& asn);
std::string encode_asn(const Asn& asn);
std::optional<Asn> decode_asn(std::string_view bytes);

// A receipt fact that names a PO or an ASN.
struct VendorReceipt {
  std::string reference;
  std::string sku;
  int64_t quantity = 0;
  Timestamp received_at{};  // when it happened (the fact's effective time)
};

struct VendorScorecard {
  std::string vendor;
  uint64_t asns = 0;  // arrived or due
  uint64_t asn_lines = 0;
  uint64_t asn_lines_as_announced = 0;
  int64_t asn_units_announced = 0;
  int64_t asn_units_received = 0;
  int64_t asn_units_off = 0;  // Σ |received − announced| per line
  std::optional<double> asn_line_accuracy;
  std::optional<double> asn_unit_accuracy;
  uint64_t purchase_orders = 0;
  uint64_t purchase_orders_received = 0;  // with at least one receipt
  uint64_t purchase_orders_on_time = 0;
  std::optional<double> lead_time_days_mean;
  std::optional<double> lead_time_days_stddev;
  std::optional<double> on_time_rate;
  int64_t units_ordered_due = 0;
  int64_t units_received_due = 0;
  std::optional<double> fill_rate;
};

// `pos` and `asns` are the vendor's; `receipts` may name anything (others are ignored).
VendorScorecard score_vendor(std::string vendor, const std::vector<PurchaseOrder>& pos,
                             const std::vector<Asn>& asns,
                             const std::vector<VendorReceipt>& receipts, Timestamp now);

}  // namespace stockd
