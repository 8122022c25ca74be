// Vendor paperwork: POST /v1/asns, GET /v1/asns/{id} (with what has been received per
// line), and GET /v1/vendors/{id}/scorecard.
#include <boost/json.hpp>
#include <cmath>

#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "core/ids.hpp"
#include "core/vendor.hpp"
#include "engine/store.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

json::value share_json(const std::optional<double>& share) {
  return share ? json::value(std::round(*share * 10'000) / 10'000) : json::value(nullptr);
}

json::object asn_json(const Asn& asn, const std::vector<VendorReceipt>& receipts) {
  json::array lines;
  for (const AsnLine& line : asn.lines) {
    int64_t received = 0;
    for (const VendorReceipt& receipt : receipts) {
      if (receipt.reference == asn.id && receipt.sku == line.sku) received += receipt.quantity;
    }
    lines.push_back(json::object{{"sku", line.sku},
                                 {"quantity", line.quantity},
                                 {"received", received},
                                 {"as_announced", received == line.quantity}});
  }
  json::object out{{"id", asn.id},
                   {"vendor", asn.vendor},
                   {"expected_at", format_rfc3339(asn.expected_at)},
                   {"created_at", format_rfc3339(asn.created_at)},
                   {"lines", std::move(lines)}};
  if (!asn.purchase_order_id.empty()) out["po"] = asn.purchase_order_id;
  return out;
}

}  // namespace

bool receipts_naming(Store& store, const std::set<std::string, std::less<>>& references,
                     std::vector<VendorReceipt>& out, std::string* error) {
  return for_each_decoded_ledger_record(
      store,
      [&](const LedgerRecord& record) {
        if (record.kind != RecordKind::event || record.event.type != EventType::receipt ||
            record.status != EventStatus::applied || !references.contains(record.event.reference)) {
          return;
        }
        out.push_back({record.event.reference, record.sku, record.event.quantity,
                       record.effective_occurred_at});
      },
      error);
}

void post_asn(ApiContext& api, Call call) {
  HttpResponse error;
  const std::optional<json::value> body = parse_object_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  ObjectReader reader(body->as_object());
  Asn asn;
  std::string expected_at;
  if (!reader.only({"id", "vendor", "po", "lines", "expected_at"}) ||
      !reader.text("id", asn.id, true, 128) || !reader.text("vendor", asn.vendor, true, 128) ||
      !reader.text("po", asn.purchase_order_id, false, 128) ||
      !reader.text("expected_at", expected_at, true, 64)) {
    return call.respond(reader.error());
  }
  const std::optional<Timestamp> expected = parse_rfc3339(expected_at);
  if (!expected) return call.respond(validation_problem("expected_at", "an RFC 3339 time"));
  asn.expected_at = *expected;
  const json::value* lines = reader.find("lines");
  if (lines == nullptr || !lines->is_array()) {
    return call.respond(validation_problem("lines", "lines is an array of {sku, quantity}"));
  }
  for (const json::value& line : lines->as_array()) {
    if (!line.is_object())
      return call.respond(validation_problem("lines", "each line is an object"));
    ObjectReader line_reader(line.as_object());
    AsnLine parsed;
    if (!line_reader.only({"sku", "quantity"}) || !line_reader.text("sku", parsed.sku, true, 128) ||
        !line_reader.integer("quantity", parsed.quantity, 1, 1'000'000'000, true)) {
      return call.respond(validation_problem("lines", "each line is {\"sku\", \"quantity\" >= 1}"));
    }
    asn.lines.push_back(std::move(parsed));
  }
  if (auto refusal = forbid_vendor(call.principal, asn.vendor)) {
    return call.respond(std::move(*refusal));
  }
  const Engine::AsnResult result = api.engine.put_asn(std::move(asn));
  switch (result.error) {
    case AsnError::none:
      break;
    case AsnError::invalid_id:
      return call.respond(
          validation_problem("id", "an ASN id is 1-128 characters of [A-Za-z0-9._:-]"));
    case AsnError::invalid_vendor:
      return call.respond(
          validation_problem("vendor", "a vendor id is 1-128 characters of [A-Za-z0-9._:-]"));
    case AsnError::invalid_lines:
      return call.respond(validation_problem(
          "lines", "1 to 1000 lines, each SKU once, quantities from 1 to 1000000000"));
    case AsnError::missing_expected_at:
      return call.respond(validation_problem("expected_at", "an RFC 3339 time"));
    case AsnError::unknown_purchase_order:
      return call.respond(validation_problem("po", "no purchase order with this id for this vendor",
                                             "unknown-purchase-order", "Unknown purchase order"));
    case AsnError::asn_exists:
      return call.respond(problem(409, "asn-exists", "ASN exists",
                                  "an ASN with this id was announced with other content"));
  }
  HttpResponse response = json_response(result.created ? 201 : 200, asn_json(result.asn, {}));
  if (result.created) response.set_header("Location", "/v1/asns/" + result.asn.id);
  call.respond(std::move(response));
}

void get_asn(ApiContext& api, Call call) {
  const std::optional<Asn> asn = api.engine.find_asn(call.params.at(0));
  if (!asn) return call.respond(problem(404, "not-found", "Not found", "no such ASN"));
  if (api.store == nullptr) return call.respond(json_response(200, asn_json(*asn, {})));
  std::vector<VendorReceipt> receipts;
  std::string error;
  if (!receipts_naming(*api.store, {asn->id}, receipts, &error)) {
    return call.respond(problem(500, "storage-error", "Storage error", error));
  }
  call.respond(json_response(200, asn_json(*asn, receipts)));
}

void get_vendor_scorecard(ApiContext& api, Call call) {
  const std::string& vendor = call.params.at(0);
  if (!is_valid_id(vendor)) {
    return call.respond(
        validation_problem("vendor", "a vendor id is 1-128 characters of [A-Za-z0-9._:-]"));
  }
  if (auto unavailable = ledger_unavailable(api)) return call.respond(std::move(*unavailable));
  Store& store = *api.store;
  std::vector<PurchaseOrder> pos;
  (void)store.for_each_purchase_order([&](const PurchaseOrder& po) {
    if (po.vendor == vendor) pos.push_back(po);
  });
  const std::vector<Asn> asns = api.engine.asns_of_vendor(vendor);
  if (pos.empty() && asns.empty()) {
    return call.respond(problem(404, "not-found", "Not found", "no POs or ASNs from this vendor"));
  }
  std::set<std::string, std::less<>> references;
  for (const PurchaseOrder& po : pos) references.insert(po.id);
  for (const Asn& asn : asns) references.insert(asn.id);
  std::vector<VendorReceipt> receipts;
  std::string error;
  if (!receipts_naming(store, references, receipts, &error)) {
    return call.respond(problem(500, "storage-error", "Storage error", error));
  }
  const VendorScorecard card = score_vendor(vendor, pos, asns, receipts, api.clock.now());
  const auto days = [](const std::optional<double>& value) {
    return value ? json::value(std::round(*value * 100) / 100) : json::value(nullptr);
  };
  call.respond(json_response(
      200,
      json::object{
          {"vendor", vendor},
          {"asn_accuracy", json::object{{"asns", card.asns},
                                        {"lines", card.asn_lines},
                                        {"lines_as_announced", card.asn_lines_as_announced},
                                        {"line_accuracy", share_json(card.asn_line_accuracy)},
                                        {"units_announced", card.asn_units_announced},
                                        {"units_received", card.asn_units_received},
                                        {"unit_accuracy", share_json(card.asn_unit_accuracy)}}},
          {"lead_time_days", json::object{{"mean", days(card.lead_time_days_mean)},
                                          {"stddev", days(card.lead_time_days_stddev)}}},
          {"purchase_orders", card.purchase_orders},
          {"purchase_orders_received", card.purchase_orders_received},
          {"on_time_rate", share_json(card.on_time_rate)},
          {"units_ordered_due", card.units_ordered_due},
          {"units_received_due", card.units_received_due},
          {"fill_rate", share_json(card.fill_rate)}}));
}

}  // namespace stockd
