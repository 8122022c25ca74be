// GET /v1/kpis?from=&to= and GET /v1/scorecard?month=YYYY-MM[&format=csv]: computed from
// the ledger (one pass over every stream: a reporting query, not a hot path).
#include <boost/json.hpp>

#include <cstdio>

#include "api/handlers.hpp"
#include "api/problem.hpp"
#include "core/kpis.hpp"
#include "engine/store.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

constexpr auto kRangeMax = std::chrono::hours{24 * 366};

json::object lag_json(const LagSummary& lag) {
  return json::object{{"events", lag.events},
                      {"p50_seconds", lag.p50_seconds},
                      {"p95_seconds", lag.p95_seconds},
                      {"synced_within_5_minutes", lag.synced_within_target}};
}

json::object variance_json(const VarianceSummary& variance) {
  return json::object{{"counts", variance.counts},
                      {"system_units", variance.system_units},
                      {"variance_units", variance.variance_units},
                      {"variance_share", variance.variance_share}};
}

std::optional<Kpis> compute(ApiContext& api, Timestamp from, Timestamp to, std::string* error) {
  KpiCalculator calculator(from, to);
  if (!for_each_decoded_ledger_record(
          *api.store, [&](const LedgerRecord& record) { calculator.add(record); }, error)) {
    return std::nullopt;
  }
  api.engine.for_each_order(
      [&](const Order& order, const std::vector<AllocationProgress>& progress) {
        int64_t open = 0, shipped = 0;
        for (const AllocationProgress& each : progress) {
          open += each.open();
          shipped += each.shipped;
        }
        calculator.add_order(order, open, shipped);
      });
  return calculator.result();
}

json::value optional_share(const std::optional<double>& share) {
  return share ? json::value(*share) : json::value(nullptr);
}

json::object kpis_json(const Kpis& kpis) {
  json::object lag_by_source;
  for (const auto& [source, lag] : kpis.lag_by_source) lag_by_source[source] = lag_json(lag);
  json::object lag_by_location;
  for (const auto& [location, lag] : kpis.lag_by_location) {
    lag_by_location[location] = lag_json(lag);
  }
  json::object cancellations;
  for (const auto& [reason, units] : kpis.cancellations_by_reason) cancellations[reason] = units;
  json::object variance_by_location;
  for (const auto& [location, variance] : kpis.variance_by_location) {
    variance_by_location[location] = variance_json(variance);
  }
  json::object variance_by_aging;
  for (const auto& [aging, variance] : kpis.variance_by_aging) {
    variance_by_aging[aging] = variance_json(variance);
  }
  return json::object{
      {"from", format_rfc3339(kpis.from)},
      {"to", format_rfc3339(kpis.to)},
      {"event_lag", lag_json(kpis.lag)},
      {"event_lag_by_source", std::move(lag_by_source)},
      {"event_lag_by_location", std::move(lag_by_location)},
      {"sales_units", kpis.sales},
      {"cancellations_by_reason", std::move(cancellations)},
      {"cancellation_rate", kpis.cancellation_rate},
      {"availability_cancellation_rate", kpis.availability_cancellation_rate},
      {"reconciliation_variance", variance_json(kpis.variance)},
      {"reconciliation_variance_by_location", std::move(variance_by_location)},
      {"reconciliation_variance_by_aging", std::move(variance_by_aging)},
      {"reservations", json::object{{"created", kpis.reservations_created},
                                    {"committed", kpis.reservations_committed},
                                    {"released", kpis.reservations_released},
                                    {"expired", kpis.reservations_expired}}},
      {"promises_at_risk", kpis.promises_at_risk},
      {"orders",
       json::object{{"placed", kpis.orders.placed},
                    {"cancelled", kpis.orders.cancelled},
                    {"shipped", kpis.orders.shipped},
                    {"shipped_without_intervention", kpis.orders.shipped_without_intervention},
                    {"allocation_accuracy", optional_share(kpis.orders.allocation_accuracy)},
                    {"delivered", kpis.orders.delivered},
                    {"delivered_on_time", kpis.orders.delivered_on_time},
                    {"promise_accuracy", optional_share(kpis.orders.promise_accuracy)}}},
      {"allocation_accuracy", optional_share(kpis.orders.allocation_accuracy)},
      {"promise_accuracy", optional_share(kpis.orders.promise_accuracy)},
      // Pickup orders are not modelled yet (orders ship): no measurement.
      {"pickup_promise_accuracy", nullptr}};
}

}  // namespace

std::optional<HttpResponse> ledger_unavailable(const ApiContext& api) {
  if (api.store != nullptr) return std::nullopt;
  return problem(503, "ledger-unavailable", "Ledger unavailable",
                 "this server runs without direct ledger access");
}

bool for_each_decoded_ledger_record(Store& store,
                                    const std::function<void(const LedgerRecord&)>& visit,
                                    std::string* error) {
  bool corrupt = false;
  const Status status =
      store.for_each_ledger_record([&](uint32_t, uint64_t, std::string_view bytes) {
        const auto record = decode_ledger_record(bytes);
        if (!record) {
          corrupt = true;
          return false;
        }
        visit(*record);
        return true;
      });
  if (!status.is_ok() || corrupt) {
    *error = corrupt ? "an unreadable ledger record (run stockd audit verify)" : status.message();
    return false;
  }
  return true;
}

void get_kpis(ApiContext& api, Call call) {
  const Timestamp now = api.clock.now();
  Timestamp to = now;
  Timestamp from = now - std::chrono::hours{24 * 7};
  for (const char* name : {"from", "to"}) {
    const std::string_view text = call.query_value(name);
    if (text.empty()) continue;
    const auto parsed = parse_rfc3339(text);
    if (!parsed) {
      return call.respond(
          validation_problem(name, std::string(name) + " must be an RFC 3339 time"));
    }
    (std::string_view(name) == "from" ? from : to) = *parsed;
  }
  if (from >= to || to - from > kRangeMax) {
    return call.respond(validation_problem("from", "from must be before to, at most 366 days"));
  }
  if (api.store == nullptr) {
    return call.respond(problem(503, "kpis-unavailable", "KPIs unavailable", "no ledger access"));
  }
  std::string error;
  const auto kpis = compute(api, from, to, &error);
  if (!kpis) return call.respond(problem(500, "storage-error", "Storage error", error));
  call.respond(json_response(200, kpis_json(*kpis)));
}

void get_scorecard(ApiContext& api, Call call) {
  const std::string_view month = call.query_value("month");
  int year = 0;
  unsigned number = 0;
  if (month.size() != 7 || month[4] != '-' ||
      std::sscanf(std::string(month).c_str(), "%4d-%2u", &year, &number) != 2 || number < 1 ||
      number > 12 || year < 2000 || year > 2999) {
    return call.respond(validation_problem("month", "month is YYYY-MM"));
  }
  const std::string_view format = call.query_value("format");
  if (!format.empty() && format != "json" && format != "csv") {
    return call.respond(validation_problem("format", "format is json or csv"));
  }
  const std::chrono::year_month first{std::chrono::year{year}, std::chrono::month{number}};
  const Timestamp from{std::chrono::sys_days{first / 1}};
  const Timestamp to{std::chrono::sys_days{(first + std::chrono::months{1}) / 1}};
  if (api.store == nullptr) {
    return call.respond(problem(503, "kpis-unavailable", "KPIs unavailable", "no ledger access"));
  }
  std::string error;
  const auto kpis = compute(api, from, to, &error);
  if (!kpis) return call.respond(problem(500, "storage-error", "Storage error", error));

  struct Line {
    const char* metric;
    std::optional<double> value;
    const char* comparison;
    double target;
    const char* note;
  };
  const Line lines[] = {
      {"events_synced_within_5_minutes",
       kpis->lag.events ? std::optional(kpis->lag.synced_within_target) : std::nullopt, ">=", 0.95,
       "share of stock-affecting events received within 5 minutes of occurring"},
      {"availability_cancellation_rate",
       kpis->sales ? std::optional(kpis->availability_cancellation_rate) : std::nullopt, "<", 0.01,
       "units cancelled as oversold, late vendor receipt or damaged, per unit sold"},
      {"reconciliation_variance",
       kpis->variance.counts ? std::optional(kpis->variance.variance_share) : std::nullopt, "<",
       0.005, "|counted - system| / system over every count (all SKUs: revenue is not known)"},
      {"pickup_promise_accuracy", std::nullopt, ">", 0.95, "measured once orders are tracked"},
  };
  if (format == "csv") {
    std::string csv = "metric,value,target,met,note\n";
    for (const Line& line : lines) {
      char value[32] = "";
      if (line.value) std::snprintf(value, sizeof value, "%.6f", *line.value);
      const bool met =
          line.value && (std::string_view(line.comparison) == ">="  ? *line.value >= line.target
                         : std::string_view(line.comparison) == ">" ? *line.value > line.target
                                                                    : *line.value < line.target);
      char target[32];
      std::snprintf(target, sizeof target, "%s%g", line.comparison, line.target);
      csv += std::string(line.metric) + "," + value + "," + target + "," +
             (line.value ? (met ? "yes" : "no") : "") + ",\"" + line.note + "\"\n";
    }
    HttpResponse response;
    response.status = 200;
    response.set_header("Content-Type", "text/csv; charset=utf-8");
    response.set_header("Content-Disposition",
                        "attachment; filename=\"stockd-scorecard-" + std::string(month) + ".csv\"");
    response.body = std::move(csv);
    return call.respond(std::move(response));
  }
  json::array metrics;
  for (const Line& line : lines) {
    json::object item{{"metric", line.metric},
                      {"target", std::string(line.comparison) + std::to_string(line.target)},
                      {"note", line.note}};
    if (line.value) {
      item["value"] = *line.value;
      item["met"] = std::string_view(line.comparison) == ">="  ? *line.value >= line.target
                    : std::string_view(line.comparison) == ">" ? *line.value > line.target
                                                               : *line.value < line.target;
    } else {
      item["value"] = nullptr;
      item["met"] = nullptr;
    }
    metrics.push_back(std::move(item));
  }
  call.respond(json_response(200, json::object{{"month", std::string(month)},
                                               {"metrics", std::move(metrics)},
                                               {"kpis", kpis_json(*kpis)}}));
}

}  // namespace stockd
