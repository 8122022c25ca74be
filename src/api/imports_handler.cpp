// Batch connectors over HTTP: POST /v1/imports (a snapshot file applied as counts,
// resumable, with a per-row error report), GET /v1/imports/{id}, POST /v1/reconcile (the
// daily health check: drift without changes, optionally applied), and
// GET /v1/exports/positions (every position as CSV or NDJSON, now or as of a past time).
#include <boost/json.hpp>
#include <charconv>

#include "api/handlers.hpp"
#include "api/problem.hpp"
#include "connectors/position_export.hpp"
#include "connectors/snapshot_import.hpp"
#include "connectors/snapshot_reconcile.hpp"
#include "core/ids.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

// The snapshot format: ?format=, else the Content-Type, else CSV.
std::optional<SnapshotFormat> format_of(const Call& call, HttpResponse& error) {
  if (const std::string_view name = call.query_value("format"); !name.empty()) {
    if (auto format = snapshot_format_from_name(name)) return format;
    error = validation_problem("format", "format is csv or ndjson");
    return std::nullopt;
  }
  const std::string_view type = call.request.header("content-type");
  if (type.find("ndjson") != std::string_view::npos) return SnapshotFormat::ndjson;
  return SnapshotFormat::csv;
}

std::optional<std::optional<Timestamp>> as_of_of(const Call& call, HttpResponse& error) {
  const std::string_view text = call.query_value("as_of");
  if (text.empty()) return std::optional<Timestamp>{};
  if (auto at = parse_rfc3339(text)) return std::optional<Timestamp>{*at};
  error = validation_problem("as_of", "as_of is an RFC 3339 time");
  return std::nullopt;
}

std::optional<bool> full_of(const Call& call, HttpResponse& error) {
  const std::string_view mode = call.query_value("mode");
  if (mode.empty() || mode == "partial") return false;
  if (mode == "full") return true;
  error = validation_problem("mode", "mode is full (everything at the named locations) or partial");
  return std::nullopt;
}

// What an import or a health check reads from the query: format, mode and as_of.
struct SnapshotQuery {
  SnapshotFormat format = SnapshotFormat::csv;
  bool full = false;
  std::optional<Timestamp> as_of;
};

std::optional<SnapshotQuery> snapshot_query(const Call& call, HttpResponse& error) {
  const auto format = format_of(call, error);
  if (!format) return std::nullopt;
  const auto as_of = as_of_of(call, error);
  if (!as_of) return std::nullopt;
  const auto full = full_of(call, error);
  if (!full) return std::nullopt;
  return SnapshotQuery{*format, *full, *as_of};
}

// Starts (or resumes) the import that ?id= and ?source= name, on behalf of the call's
// token (its source and locations); nullopt with `error` set when refused.
std::optional<SnapshotImport> begin_import(ApiContext& api, const Call& call,
                                           const SnapshotQuery& query, const char* id_detail,
                                           HttpResponse& error) {
  ImportRequest request;
  request.id = std::string(call.query_value("id"));
  request.source = std::string(call.query_value("source"));
  if (!is_valid_id(request.id)) {
    error = validation_problem("id", id_detail);
    return std::nullopt;
  }
  const TokenRestrictions& restrictions = call.principal.restrictions;
  if (restrictions.kind == PrincipalKind::source && request.source != restrictions.principal) {
    error = problem(403, "forbidden-source", "Forbidden",
                    "this token speaks for source '" + restrictions.principal + "'");
    return std::nullopt;
  }
  request.format = query.format;
  request.full = query.full;
  request.as_of = query.as_of;
  request.principal = call.principal.token_id;
  const Principal& principal = call.principal;
  request.may_write_at = [&principal](std::string_view location) {
    return principal.may_write_at(location);
  };
  std::string refusal;
  std::optional<SnapshotImport> import =
      SnapshotImport::begin(api.engine, *api.store, api.clock, std::move(request), &refusal);
  if (!import) {
    const std::string field = refusal.substr(0, refusal.find(':'));
    if (refusal.find("exists with another") != std::string::npos) {
      error = problem(409, "import-exists", "Import exists", refusal);
    } else if (field == "source") {
      error = validation_problem("source", refusal, "unknown-source", "Unknown source");
    } else {
      error = validation_problem(field, refusal);
    }
  }
  return import;
}

}  // namespace

void post_import(ApiContext& api, Call call) {
  if (auto unavailable = ledger_unavailable(api)) return call.respond(std::move(*unavailable));
  HttpResponse error;
  const std::optional<SnapshotQuery> query = snapshot_query(call, error);
  if (!query) return call.respond(std::move(error));
  std::optional<SnapshotImport> import =
      begin_import(api, call, *query, "id (query) is 1-128 characters of [A-Za-z0-9._:-]", error);
  if (!import) return call.respond(std::move(error));
  const bool resumed = import->report().resumed_after_line > 0 || import->already_done();
  import->feed(call.request.body);
  import->finish();
  if (import->fatal()) {
    json::object extra{{"import", import_report_json(import->report())}};
    return call.respond(problem(422, "unreadable-snapshot", "Unreadable snapshot", *import->fatal(),
                                std::move(extra)));
  }
  HttpResponse response = json_response(resumed ? 200 : 201, import_report_json(import->report()));
  if (!resumed) response.set_header("Location", "/v1/imports/" + import->report().id);
  call.respond(std::move(response));
}

void get_import(ApiContext& api, Call call) {
  if (auto unavailable = ledger_unavailable(api)) return call.respond(std::move(*unavailable));
  const std::optional<ImportReport> report = load_import_report(*api.store, call.params.at(0));
  if (!report)
    return call.respond(problem(404, "not-found", "Not found", "no import with this id"));
  call.respond(json_response(200, import_report_json(*report)));
}

void post_reconcile(ApiContext& api, Call call) {
  if (auto unavailable = ledger_unavailable(api)) return call.respond(std::move(*unavailable));
  HttpResponse error;
  const std::optional<SnapshotQuery> query = snapshot_query(call, error);
  if (!query) return call.respond(std::move(error));
  const std::optional<int64_t> limit = call.query_integer("limit", 1, 100'000, 1000);
  if (!limit) return call.respond(validation_problem("limit", "limit is 1..100000"));
  SnapshotReader reader(query->format);
  std::vector<SnapshotRow> rows;
  std::vector<SnapshotRowError> errors;
  reader.feed(call.request.body, rows, errors);
  reader.finish(rows, errors);
  if (reader.fatal()) {
    return call.respond(
        problem(422, "unreadable-snapshot", "Unreadable snapshot", *reader.fatal()));
  }
  ReconcileOptions options;
  options.full = query->full;
  options.as_of = query->as_of;
  options.positions_max = static_cast<size_t>(*limit);
  std::string failure;
  const std::optional<ReconcileReport> report = reconcile_snapshot(
      *api.store, std::move(rows), std::move(errors), options, api.clock.now(), &failure);
  if (!report) return call.respond(problem(500, "storage-error", "Storage error", failure));
  json::object body = reconcile_report_json(*report);
  // ?apply=true: the corrections, as the counts an import of this snapshot would make.
  if (call.query_value("apply") == "true") {
    if ((call.principal.scopes & scope_events_write) == 0) {
      return call.respond(problem(403, "forbidden", "Forbidden",
                                  "applying corrections needs the events:write scope"));
    }
    std::optional<SnapshotImport> import = begin_import(
        api, call, *query,
        "applying needs id (query): the import id the corrections are recorded under", error);
    if (!import) return call.respond(std::move(error));
    import->feed(call.request.body);
    import->finish();
    body["applied"] = import_report_json(import->report());
  }
  call.respond(json_response(200, body));
}

void get_positions_export(ApiContext& api, Call call) {
  if (auto unavailable = ledger_unavailable(api)) return call.respond(std::move(*unavailable));
  HttpResponse error;
  SnapshotFormat format = SnapshotFormat::csv;
  if (const std::string_view name = call.query_value("format"); !name.empty()) {
    const auto parsed = snapshot_format_from_name(name);
    if (!parsed) return call.respond(validation_problem("format", "format is csv or ndjson"));
    format = *parsed;
  }
  const auto as_of = as_of_of(call, error);
  if (!as_of) return call.respond(std::move(error));
  const std::string location(call.query_value("location"));
  const Timestamp now = api.clock.now();
  std::string body = position_export_header(format);
  std::string failure;
  const bool read = for_each_position_as_of(
      *api.store, *as_of,
      [&](std::string_view sku, std::string_view at, const Position& position) {
        if (!location.empty() && at != location) return;
        body += position_export_line(format, sku, at, position, as_of->value_or(now));
      },
      &failure);
  if (!read) return call.respond(problem(500, "storage-error", "Storage error", failure));
  HttpResponse response;
  response.status = 200;
  response.set_header("Content-Type",
                      format == SnapshotFormat::csv ? "text/csv" : "application/x-ndjson");
  response.body = std::move(body);
  call.respond(std::move(response));
}

}  // namespace stockd
