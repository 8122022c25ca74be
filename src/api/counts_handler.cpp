// Inventory accuracy: POST /v1/counts (cycle counts and full snapshots), GET
// /v1/counts/{id}, GET /v1/counts/schedule, GET /v1/reconciliation, and unit costs
// (PUT/GET /v1/items/{sku}) that give variances a value.
#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "codec/json.hpp"
#include "core/count_schedule.hpp"
#include "core/ids.hpp"
#include "core/reconciliation.hpp"
#include "core/velocity.hpp"
#include "engine/store.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

constexpr std::string_view kItemPrefix = "item/";
constexpr std::string_view kCountPrefix = "count/";
constexpr size_t kCountLinesMax = 10'000;
constexpr auto kScheduleHistory = std::chrono::hours{24 * 365};

std::optional<int64_t> stored_unit_cost(Store& store, const std::string& sku) {
  const std::optional<std::string> text = store.get_aux(std::string(kItemPrefix) + sku);
  if (!text) return std::nullopt;
  int64_t cents = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), cents);
  if (error != std::errc{} || end != text->data() + text->size()) return std::nullopt;
  return cents;
}

json::object summary_json(const VarianceSummary& summary) {
  return json::object{{"counts", summary.counts},
                      {"system_units", summary.system_units},
                      {"variance_units", summary.variance_units},
                      {"net_units", summary.net_units},
                      {"variance_percent", std::round(summary.variance_share * 10'000) / 100},
                      {"variance_value_cents", summary.variance_value_cents}};
}

// Reads an optional `from`/`to` pair of RFC 3339 times (defaults: the last `days` days).
std::optional<HttpResponse> read_window(const Call& call, const Clock& clock, int days,
                                        Timestamp& from, Timestamp& to) {
  to = clock.now();
  from = to - std::chrono::hours{24 * days};
  for (const char* name : {"from", "to"}) {
    const std::string_view text = call.query_value(name);
    if (text.empty()) continue;
    const auto parsed = parse_rfc3339(text);
    if (!parsed) return validation_problem(name, std::string(name) + " must be an RFC 3339 time");
    (std::string_view(name) == "from" ? from : to) = *parsed;
  }
  if (from >= to || to - from > std::chrono::hours{24 * 366}) {
    return validation_problem("from", "from must be before to, at most 366 days");
  }
  return std::nullopt;
}

// The positions at one location, as durably stored.
std::vector<PositionView> positions_at(Store& store, const std::string& location,
                                       std::vector<std::string>& skus) {
  std::vector<PositionView> views;
  (void)store.for_each_position(
      [&](std::string_view sku, std::string_view at, const Position& position) {
        if (at != location) return;
        skus.emplace_back(sku);
        views.push_back({std::string(at), position});
      });
  return views;
}

}  // namespace

void put_item(ApiContext& api, Call call) {
  const std::string& sku = call.params.at(0);
  if (!is_valid_sku(sku)) {
    return call.respond(validation_problem("sku", "a SKU is 1-128 characters of [A-Za-z0-9._:/-]"));
  }
  HttpResponse error;
  const std::optional<json::value> body = parse_object_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  ObjectReader reader(body->as_object());
  int64_t cents = 0;
  if (!reader.only({"unit_cost_cents"}) ||
      !reader.integer("unit_cost_cents", cents, 0, 100'000'000'000, true)) {
    return call.respond(reader.error());
  }
  if (auto unavailable = ledger_unavailable(api)) return call.respond(std::move(*unavailable));
  if (Status status = api.store->put_aux(std::string(kItemPrefix) + sku, std::to_string(cents));
      !status.is_ok()) {
    return call.respond(problem(500, "storage-error", "Storage error", status.message()));
  }
  call.respond(json_response(200, json::object{{"sku", sku}, {"unit_cost_cents", cents}}));
}

void get_item(ApiContext& api, Call call) {
  const std::string& sku = call.params.at(0);
  if (auto unavailable = ledger_unavailable(api)) return call.respond(std::move(*unavailable));
  const std::optional<int64_t> cents = stored_unit_cost(*api.store, sku);
  if (!cents)
    return call.respond(problem(404, "not-found", "Not found", "no unit cost for this SKU"));
  call.respond(json_response(200, json::object{{"sku", sku}, {"unit_cost_cents", *cents}}));
}

void post_counts(ApiContext& api, Call call) {
  HttpResponse error;
  const std::optional<json::value> body = parse_object_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  ObjectReader reader(body->as_object());
  std::string id, location, source, counter, counted_at_text, kind = "cycle";
  if (!reader.only({"id", "location", "source", "counter", "counted_at", "kind", "lines"}) ||
      !reader.text("id", id, true, 100) || !reader.text("location", location, true, 128) ||
      !reader.text("source", source, true, 128) || !reader.text("counter", counter, false, 128) ||
      !reader.text("counted_at", counted_at_text, true, 64) ||
      !reader.text("kind", kind, false, 16)) {
    return call.respond(reader.error());
  }
  if (!is_valid_id(id)) {
    return call.respond(
        validation_problem("id", "a count id is 1-100 characters of [A-Za-z0-9._:-]"));
  }
  if (kind != "cycle" && kind != "snapshot") {
    return call.respond(validation_problem("kind",
                                           "kind is cycle (the SKUs listed) or snapshot "
                                           "(everything at the location)"));
  }
  const std::optional<Timestamp> counted_at = parse_rfc3339(counted_at_text);
  if (!counted_at) return call.respond(validation_problem("counted_at", "an RFC 3339 time"));
  const std::shared_ptr<const Catalog> catalog = api.engine.catalog();
  if (catalog->find_location(location) == nullptr) {
    return call.respond(validation_problem("location", "unknown location '" + location + "'",
                                           "unknown-location", "Unknown location"));
  }
  if (auto refusal = forbid_location(call.principal, location)) {
    return call.respond(std::move(*refusal));
  }
  if (auto refusal = forbid_kind(call.principal, PrincipalKind::vendor, "post counts")) {
    return call.respond(std::move(*refusal));
  }
  if (call.principal.is(PrincipalKind::source) && call.principal.restrictions.principal != source) {
    return call.respond(problem(403, "forbidden-source", "Forbidden",
                                "this token speaks for source '" +
                                    call.principal.restrictions.principal + "', not '" + source +
                                    "'"));
  }
  if (catalog->find_source(source) == nullptr) {
    return call.respond(validation_problem("source", "unknown source '" + source + "'",
                                           "unknown-source", "Unknown source"));
  }
  const json::value* lines = reader.find("lines");
  if (lines == nullptr || !lines->is_array() || lines->as_array().size() > kCountLinesMax ||
      (lines->as_array().empty() && kind == "cycle")) {
    return call.respond(validation_problem("lines",
                                           "lines is an array of up to 10000 "
                                           "{sku, quantity, unit_cost_cents?}"));
  }
  struct Line {
    std::string sku;
    int64_t quantity = 0;
    std::optional<int64_t> unit_cost_cents;
  };
  std::vector<Line> parsed;
  std::set<std::string> seen;
  for (const json::value& line : lines->as_array()) {
    if (!line.is_object())
      return call.respond(validation_problem("lines", "each line is an object"));
    ObjectReader line_reader(line.as_object());
    Line out;
    int64_t cost = -1;
    if (!line_reader.only({"sku", "quantity", "unit_cost_cents"}) ||
        !line_reader.text("sku", out.sku, true, 128) ||
        !line_reader.integer("quantity", out.quantity, 0, 1'000'000'000, true) ||
        !line_reader.integer("unit_cost_cents", cost, 0, 100'000'000'000)) {
      return call.respond(validation_problem(
          "lines", "each line is {\"sku\", \"quantity\" >= 0, \"unit_cost_cents\"?}"));
    }
    if (!is_valid_sku(out.sku)) {
      return call.respond(
          validation_problem("lines", "a SKU is 1-128 characters of [A-Za-z0-9._:/-]"));
    }
    if (!seen.insert(out.sku).second) {
      return call.respond(validation_problem("lines", "SKU " + out.sku + " is listed twice"));
    }
    if (cost >= 0) out.unit_cost_cents = cost;
    parsed.push_back(std::move(out));
  }
  if (auto unavailable = ledger_unavailable(api)) return call.respond(std::move(*unavailable));
  Store& store = *api.store;
  // The same count again: its first answer, if the body is the same.
  const Sha256Digest fingerprint = sha256("POST /v1/counts\n", call.request.body);
  const std::string record_key = std::string(kCountPrefix) + id;
  if (const std::optional<std::string> stored = store.get_aux(record_key)) {
    json::value previous = json::parse(*stored);
    if (previous.as_object().at("fingerprint").as_string() != to_hex(fingerprint)) {
      return call.respond(problem(409, "count-exists", "Count exists",
                                  "a count with this id was posted with a different body"));
    }
    previous.as_object().erase("fingerprint");
    HttpResponse response = json_response(200, previous);
    response.set_header("Idempotent-Replayed", "true");
    return call.respond(std::move(response));
  }
  // A snapshot is everything at the location: what it does not list was not found.
  if (kind == "snapshot") {
    std::vector<std::string> skus;
    const std::vector<PositionView> here = positions_at(store, location, skus);
    std::vector<Line> zeros;
    for (size_t i = 0; i < here.size(); ++i) {
      if (!seen.contains(skus[i]) && here[i].position.on_hand != 0)
        zeros.push_back({skus[i], 0, {}});
    }
    std::sort(zeros.begin(), zeros.end(),
              [](const Line& a, const Line& b) { return a.sku < b.sku; });
    for (Line& zero : zeros) parsed.push_back(std::move(zero));
  }
  // Costs given with the count are remembered for their SKUs (one durable write); the
  // others are looked up here, not in the answer's callback, which runs on a shard thread.
  WriteSet costs;
  for (Line& line : parsed) {
    if (line.unit_cost_cents) {
      costs.aux.emplace_back(std::string(kItemPrefix) + line.sku,
                             std::to_string(*line.unit_cost_cents));
    } else {
      line.unit_cost_cents = stored_unit_cost(store, line.sku);
    }
  }
  if (!costs.empty()) (void)store.write(costs);
  std::vector<Event> events;
  for (size_t i = 0; i < parsed.size(); ++i) {
    Event event;
    event.id = id + ":" + std::to_string(i);
    event.source = source;
    event.type = EventType::count;
    event.sku = parsed[i].sku;
    event.location = location;
    event.quantity = parsed[i].quantity;
    event.occurred_at = *counted_at;
    event.reason = kind == "cycle" ? "cycle_count" : "snapshot";
    event.reference = id;
    event.principal = call.principal.token_id;
    events.push_back(std::move(event));
  }
  api.engine.submit_events(std::move(events),
                           [&api, parsed = std::move(parsed), id, location, source, counter, kind,
                            counted_at_text, fingerprint, record_key,
                            respond = std::move(call.respond)](std::vector<EventResult> results) {
                             Store& store = *api.store;
                             json::array out_lines;
                             VarianceSummary totals;
                             std::map<std::string, uint64_t> by_status;
                             for (size_t i = 0; i < results.size(); ++i) {
                               const EventResult& result = results[i];
                               json::object line{{"sku", parsed[i].sku},
                                                 {"counted", parsed[i].quantity},
                                                 {"status", event_status_name(result.status)}};
                               ++by_status[std::string(event_status_name(result.status))];
                               if (result.status == EventStatus::applied) {
                                 const int64_t variance = result.on_hand_delta;
                                 const int64_t system = parsed[i].quantity - variance;
                                 const std::optional<int64_t> cost = parsed[i].unit_cost_cents;
                                 totals.add(system, parsed[i].quantity, cost);
                                 line["system"] = system;
                                 line["variance"] = variance;
                                 if (cost) line["variance_value_cents"] = variance * *cost;
                                 line["version"] = result.version;
                               } else if (result.status == EventStatus::rejected) {
                                 line["error"] = event_error_name(result.error);
                               }
                               out_lines.push_back(std::move(line));
                             }
                             json::object status_counts;
                             for (const auto& [name, count] : by_status)
                               status_counts[name] = count;
                             json::object body{{"id", id},
                                               {"location", location},
                                               {"source", source},
                                               {"kind", kind},
                                               {"counted_at", counted_at_text},
                                               {"lines", std::move(out_lines)},
                                               {"statuses", std::move(status_counts)},
                                               {"variance", summary_json(totals)}};
                             if (!counter.empty()) body["counter"] = counter;
                             json::object stored = body;
                             stored["fingerprint"] = to_hex(fingerprint);
                             (void)store.put_aux(record_key, json::serialize(stored));
                             HttpResponse response = json_response(201, body);
                             response.set_header("Location", "/v1/counts/" + id);
                             respond(std::move(response));
                           });
}

void get_count(ApiContext& api, Call call) {
  if (auto unavailable = ledger_unavailable(api)) return call.respond(std::move(*unavailable));
  const std::optional<std::string> stored =
      api.store->get_aux(std::string(kCountPrefix) + call.params.at(0));
  if (!stored) return call.respond(problem(404, "not-found", "Not found", "no such count"));
  json::value body = json::parse(*stored);
  body.as_object().erase("fingerprint");
  call.respond(json_response(200, body));
}

void get_reconciliation(ApiContext& api, Call call) {
  Timestamp from, to;
  if (auto problem_response = read_window(call, api.clock, 30, from, to)) {
    return call.respond(std::move(*problem_response));
  }
  const std::string location(call.query_value("location"));
  if (!location.empty() && api.engine.catalog()->find_location(location) == nullptr) {
    return call.respond(validation_problem("location", "unknown location '" + location + "'",
                                           "unknown-location", "Unknown location"));
  }
  if (auto unavailable = ledger_unavailable(api)) return call.respond(std::move(*unavailable));
  Store& store = *api.store;
  ReconciliationCalculator calculator(
      from, to, location, [&](const std::string& sku) { return stored_unit_cost(store, sku); });
  std::string error;
  if (!for_each_decoded_ledger_record(
          store, [&](const LedgerRecord& record) { calculator.add(record); }, &error)) {
    return call.respond(problem(500, "storage-error", "Storage error", error));
  }
  const Reconciliation r = calculator.result(10);
  json::object by_location, by_aging;
  for (const auto& [id, summary] : r.by_location) by_location[id] = summary_json(summary);
  for (const auto& [bucket, summary] : r.by_aging) by_aging[bucket] = summary_json(summary);
  json::array offenders, trend;
  for (const PositionVariance& each : r.top_offenders) {
    json::object item = summary_json(each.summary);
    item["sku"] = each.sku;
    item["location"] = each.location;
    item["last_variance"] = each.last_variance;
    item["last_counted_at"] = format_rfc3339(each.last_counted_at);
    offenders.push_back(std::move(item));
  }
  for (const auto& [day, summary] : r.by_day) {
    json::object point = summary_json(summary);
    point["day"] = format_rfc3339(day).substr(0, 10);
    trend.push_back(std::move(point));
  }
  json::object body{{"from", format_rfc3339(from)},       {"to", format_rfc3339(to)},
                    {"overall", summary_json(r.overall)}, {"by_location", std::move(by_location)},
                    {"by_aging", std::move(by_aging)},    {"top_offenders", std::move(offenders)},
                    {"trend", std::move(trend)}};
  if (!location.empty()) body["location"] = location;
  call.respond(json_response(200, body));
}

void get_count_schedule(ApiContext& api, Call call) {
  const std::string location(call.query_value("location"));
  if (location.empty() || api.engine.catalog()->find_location(location) == nullptr) {
    return call.respond(validation_problem("location", "location names a registered location",
                                           "unknown-location", "Unknown location"));
  }
  const std::optional<int64_t> capacity_or = call.query_integer("capacity", 1, 1000, 20);
  if (!capacity_or) return call.respond(validation_problem("capacity", "capacity is 1..1000"));
  const int64_t capacity = *capacity_or;
  if (auto unavailable = ledger_unavailable(api)) return call.respond(std::move(*unavailable));
  Store& store = *api.store;
  const Timestamp now = api.clock.now();
  std::vector<std::string> skus;
  const std::vector<PositionView> positions = positions_at(store, location, skus);
  // Past variance per position, and the largest manual move of on-hand since its last count.
  ReconciliationCalculator history(now - kScheduleHistory, now + std::chrono::seconds{1}, location);
  struct Jump {
    int64_t units = 0;
    int64_t before = 0;
  };
  std::map<std::string, Jump> jumps;  // sku -> since the last count
  std::map<std::string, int64_t> on_hand_now;
  std::string error;
  const bool read = for_each_decoded_ledger_record(
      store,
      [&](const LedgerRecord& record) {
        history.add(record);
        if (record.kind != RecordKind::event || record.event.location != location ||
            record.status != EventStatus::applied) {
          return;
        }
        int64_t delta = 0;
        for (const LedgerDelta& change : record.deltas) {
          if (change.location == location && change.bucket == Bucket::on_hand)
            delta += change.delta;
        }
        int64_t& running = on_hand_now[record.sku];
        const EventType type = record.event.type;
        if (type == EventType::count) {
          jumps.erase(record.sku);
        } else if ((type == EventType::adjustment || type == EventType::shrink ||
                    type == EventType::damage) &&
                   std::llabs(delta) > std::llabs(jumps[record.sku].units)) {
          jumps[record.sku] = {delta, running};
        }
        running += delta;
      },
      &error);
  if (!read) return call.respond(problem(500, "storage-error", "Storage error", error));
  std::vector<CountCandidate> candidates;
  for (size_t i = 0; i < positions.size(); ++i) {
    CountCandidate candidate;
    candidate.sku = skus[i];
    candidate.position = positions[i].position;
    candidate.sales_per_day = sales_rate_per_day(candidate.position, now);
    candidate.velocity = velocity_class(candidate.position.demand, now);
    candidate.unit_cost_cents = stored_unit_cost(store, skus[i]).value_or(0);
    if (const auto found = history.by_position().find(skus[i] + '\0' + location);
        found != history.by_position().end()) {
      candidate.past_variance_units = found->second.summary.variance_units;
      candidate.past_system_units = found->second.summary.system_units;
    }
    if (const auto jump = jumps.find(skus[i]); jump != jumps.end()) {
      candidate.largest_jump_units = jump->second.units;
      candidate.on_hand_before_jump = jump->second.before;
    }
    candidates.push_back(std::move(candidate));
  }
  const std::vector<ScheduledCount> ranked =
      schedule_counts(candidates, now, static_cast<size_t>(capacity));
  json::array items;
  for (const ScheduledCount& scheduled : ranked) {
    const CountCandidate& c = candidates[scheduled.candidate];
    json::array reasons;
    for (const std::string& reason : scheduled.reasons) reasons.emplace_back(reason);
    json::object item{{"sku", c.sku},
                      {"score", std::round(scheduled.score * 1000) / 1000},
                      {"reasons", std::move(reasons)},
                      {"on_hand", c.position.on_hand},
                      {"sales_per_day", std::round(c.sales_per_day * 100) / 100},
                      {"velocity_class", velocity_class_name(c.velocity)}};
    if (micros_of(c.position.last_count_at) > 0) {
      item["last_count_at"] = format_rfc3339(c.position.last_count_at);
    } else {
      item["last_count_at"] = nullptr;
    }
    if (c.unit_cost_cents > 0)
      item["value_cents"] = c.unit_cost_cents * std::max<int64_t>(c.position.on_hand, 0);
    items.push_back(std::move(item));
  }
  call.respond(json_response(200, json::object{{"location", location},
                                               {"capacity", capacity},
                                               {"positions", positions.size()},
                                               {"schedule", std::move(items)}}));
}

}  // namespace stockd
