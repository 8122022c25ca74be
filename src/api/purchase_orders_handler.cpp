// POST /v1/purchase-orders (open or change a PO), GET /v1/purchase-orders/{id}.
#include <boost/json.hpp>

#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "codec/json.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

json::object purchase_order_json(const PurchaseOrder& po) {
  return json::object{{"id", po.id},
                      {"vendor", po.vendor},
                      {"sku", po.sku},
                      {"location", po.location},
                      {"quantity", po.quantity},
                      {"received", po.received},
                      {"promised", po.promised},
                      {"remaining", po_remaining(po)},
                      {"state", po_open(po) ? "open" : "received"},
                      {"expected_at", format_rfc3339(po.expected_at)},
                      {"created_at", format_rfc3339(po.created_at)},
                      {"updated_at", format_rfc3339(po.updated_at)}};
}

}  // namespace

void post_purchase_order(ApiContext& api, Call call) {
  if (auto refusal = forbid_kind(call.principal, PrincipalKind::vendor, "open purchase orders")) {
    return call.respond(std::move(*refusal));
  }
  HttpResponse error;
  const std::optional<json::value> body = parse_object_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  const json::object* object = &body->as_object();
  ObjectReader reader(*object);
  PurchaseOrder po;
  std::string expected_at;
  if (!reader.only({"id", "vendor", "sku", "location", "quantity", "expected_at"}) ||
      !reader.text("id", po.id, true, 128) || !reader.text("vendor", po.vendor, true, 128) ||
      !reader.text("sku", po.sku, true, 128) || !reader.text("location", po.location, true, 128) ||
      !reader.integer("quantity", po.quantity, 1, 1'000'000'000, true) ||
      !reader.text("expected_at", expected_at, true, 64)) {
    return call.respond(reader.error());
  }
  const auto when = parse_rfc3339(expected_at);
  if (!when) return call.respond(validation_problem("expected_at", "expected_at must be RFC 3339"));
  po.expected_at = *when;
  api.engine.put_purchase_order(std::move(po), [respond = std::move(call.respond)](
                                                   PurchaseOrderResult result) {
    if (result.overloaded) return respond(overloaded_problem());
    switch (result.error) {
      case PurchaseOrderError::none:
        break;
      case PurchaseOrderError::unknown_location:
        return respond(validation_problem("location", "register the location first",
                                          "unknown-location", "Unknown location"));
      case PurchaseOrderError::changes_sku_or_location:
        return respond(problem(409, "purchase-order-conflict", "Purchase order conflict",
                               "this PO id belongs to another SKU or location"));
      case PurchaseOrderError::below_promised:
        return respond(problem(409, "purchase-order-conflict", "Purchase order conflict",
                               "the new quantity is below what backorder promises already hold"));
      default: {
        const std::string_view name = purchase_order_error_name(result.error);
        const std::string field = name == "invalid_id"            ? "id"
                                  : name == "invalid_vendor"      ? "vendor"
                                  : name == "invalid_sku"         ? "sku"
                                  : name == "missing_expected_at" ? "expected_at"
                                                                  : "quantity";
        return respond(validation_problem(field, std::string(name)));
      }
    }
    json::object out = purchase_order_json(result.purchase_order);
    out["promises_at_risk"] = result.promises_at_risk;
    respond(json_response(result.created ? 201 : 200, out));
  });
}

void get_purchase_order(ApiContext& api, Call call) {
  const std::optional<PurchaseOrder> po = api.engine.find_purchase_order(call.params.at(0));
  if (!po) return call.respond(problem(404, "not-found", "Not found", "no such purchase order"));
  call.respond(json_response(200, purchase_order_json(*po)));
}

}  // namespace stockd
