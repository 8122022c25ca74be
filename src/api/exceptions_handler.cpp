// The exception list: GET /v1/exceptions (what the detectors found on the event stream,
// newest first, with a suggested action) and POST /v1/exceptions/{id}/resolve.
#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "core/stock_exception.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

json::object exception_json(const StockException& exception) {
  json::object out{
      {"id", exception.id},
      {"kind", exception_kind_name(exception.kind)},
      {"suggested_action", suggested_action_name(exception.action)},
      {"sku", exception.sku},
      {"location", exception.location},
      {"event", json::object{{"source", exception.event_source},
                             {"id", exception.event_id},
                             {"type", event_type_name(exception.event_type)}}},
      {"units", exception.units},
      {"threshold_units", exception.threshold_units},
      {"why", exception.why},
      {"occurred_at", format_rfc3339(exception.occurred_at)},
      {"detected_at", format_rfc3339(exception.detected_at)},
      {"ledger", json::object{{"stream", exception.stream}, {"sequence", exception.sequence}}},
      {"status", exception.resolved ? "resolved" : "open"}};
  if (exception.resolved) {
    out["resolved_at"] = format_rfc3339(exception.resolved_at);
    out["resolved_by"] = exception.resolved_by;
    out["resolution"] = exception.resolution;
  }
  return out;
}

}  // namespace

void list_exceptions(ApiContext& api, Call call) {
  const std::string_view status = call.query_value("status");
  if (!status.empty() && status != "open" && status != "resolved" && status != "all") {
    return call.respond(validation_problem("status", "status is open, resolved or all"));
  }
  const std::string_view kind_name = call.query_value("kind");
  const std::optional<ExceptionKind> kind = exception_kind_from_name(kind_name);
  if (!kind_name.empty() && !kind) {
    return call.respond(validation_problem(
        "kind", "kind is loss_spike, on_hand_jump, unexpected_sale or count_off_model"));
  }
  const std::optional<int64_t> limit = call.query_integer("limit", 1, 1000, 100);
  if (!limit) return call.respond(validation_problem("limit", "limit is 1..1000"));
  const std::string_view sku = call.query_value("sku");
  const std::string_view location = call.query_value("location");
  std::vector<StockException> all;
  if (!api.engine.stock_exceptions(all)) {
    return call.respond(
        problem(500, "storage-error", "Storage error", "the exception list could not be read"));
  }
  json::object open_by_kind;
  for (const ExceptionKind each : kAllExceptionKinds) open_by_kind[exception_kind_name(each)] = 0;
  uint64_t open = 0;
  std::vector<const StockException*> matching;
  for (const StockException& exception : all) {
    if (!exception.resolved) {
      ++open;
      open_by_kind[exception_kind_name(exception.kind)] =
          open_by_kind[exception_kind_name(exception.kind)].as_int64() + 1;
    }
    const bool status_matches = status == "all" || (status == "resolved") == exception.resolved;
    if (!status_matches || (kind && exception.kind != *kind) ||
        (!sku.empty() && exception.sku != sku) ||
        (!location.empty() && exception.location != location)) {
      continue;
    }
    matching.push_back(&exception);
  }
  std::sort(matching.begin(), matching.end(), [](const StockException* a, const StockException* b) {
    if (a->detected_at != b->detected_at) return a->detected_at > b->detected_at;
    return a->id > b->id;
  });
  json::array items;
  for (size_t i = 0; i < matching.size() && i < static_cast<size_t>(*limit); ++i) {
    items.push_back(exception_json(*matching[i]));
  }
  call.respond(json_response(200, json::object{{"open", open},
                                               {"open_by_kind", std::move(open_by_kind)},
                                               {"matching", matching.size()},
                                               {"exceptions", std::move(items)}}));
}

void resolve_exception(ApiContext& api, Call call) {
  HttpResponse error;
  const std::optional<json::value> body = parse_object_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  ObjectReader reader(body->as_object());
  std::string resolution;
  if (!reader.only({"resolution"}) || !reader.text("resolution", resolution, true, 500)) {
    return call.respond(reader.error());
  }
  const std::string& id = call.params.at(0);
  const std::optional<StockException> found = api.engine.find_stock_exception(id);
  if (!found) {
    return call.respond(problem(404, "not-found", "Not found", "no exception with this id"));
  }
  if (auto refusal = forbid_location(call.principal, found->location)) {
    return call.respond(std::move(*refusal));
  }
  const Engine::ResolveResult result =
      api.engine.resolve_exception(id, call.principal.token_id, std::move(resolution));
  switch (result.error) {
    case Engine::ResolveError::none:
      return call.respond(json_response(200, exception_json(result.exception)));
    case Engine::ResolveError::not_found:
      return call.respond(problem(404, "not-found", "Not found", "no exception with this id"));
    case Engine::ResolveError::already_resolved:
      return call.respond(problem(409, "already-resolved", "Already resolved",
                                  "this exception was resolved at " +
                                      format_rfc3339(result.exception.resolved_at) + " by '" +
                                      result.exception.resolved_by + "'",
                                  json::object{{"resolution", result.exception.resolution}}));
  }
}

}  // namespace stockd
