#include "connectors/snapshot_import.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>

#include "engine/blocking.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

std::string report_key(std::string_view id) {
  return std::string(kImportKeyPrefix) + std::string(id);
}

json::value time_or_null(const std::optional<Timestamp>& at) {
  return at ? json::value(format_rfc3339(*at)) : json::value(nullptr);
}

}  // namespace

json::object import_report_json(const ImportReport& report) {
  json::array errors;
  for (const SnapshotRowError& error : report.errors) {
    errors.push_back(json::object{{"line", error.line}, {"reason", error.reason}});
  }
  json::array locations;
  for (const std::string& location : report.locations) locations.emplace_back(location);
  json::object out{{"id", report.id},
                   {"source", report.source},
                   {"format", snapshot_format_name(report.format)},
                   {"mode", report.full ? "full" : "partial"},
                   {"as_of", time_or_null(report.as_of)},
                   {"state", report.done ? "done" : "running"},
                   {"lines_done", report.lines_done},
                   {"resumed_after_line", report.resumed_after_line},
                   {"rows", report.rows},
                   {"changed", report.changed},
                   {"unchanged", report.unchanged},
                   {"superseded", report.superseded},
                   {"duplicates", report.duplicates},
                   {"failed", report.failed},
                   {"zeroed", report.zeroed},
                   {"locations", std::move(locations)},
                   {"errors", std::move(errors)},
                   {"errors_truncated", report.failed > report.errors.size()},
                   {"started_at", format_rfc3339(report.started_at)}};
  out["finished_at"] =
      report.done ? json::value(format_rfc3339(report.finished_at)) : json::value(nullptr);
  if (!report.zeroing.empty()) out["zeroing"] = report.zeroing;
  return out;
}

std::optional<ImportReport> load_import_report(Store& store, std::string_view id) {
  const std::optional<std::string> bytes = store.get_aux(report_key(id));
  if (!bytes) return std::nullopt;
  boost::system::error_code error;
  const json::value value = json::parse(*bytes, error);
  if (error || !value.is_object()) return std::nullopt;
  const json::object& o = value.as_object();
  try {
    ImportReport report;
    report.id = std::string(o.at("id").as_string());
    report.source = std::string(o.at("source").as_string());
    report.format =
        snapshot_format_from_name(o.at("format").as_string()).value_or(SnapshotFormat::csv);
    report.full = o.at("mode").as_string() == "full";
    if (o.at("as_of").is_string()) report.as_of = parse_rfc3339(o.at("as_of").as_string());
    report.done = o.at("state").as_string() == "done";
    const auto count = [&](std::string_view key) { return o.at(key).to_number<uint64_t>(); };
    report.lines_done = count("lines_done");
    report.resumed_after_line = count("resumed_after_line");
    report.rows = count("rows");
    report.changed = count("changed");
    report.unchanged = count("unchanged");
    report.superseded = count("superseded");
    report.duplicates = count("duplicates");
    report.failed = count("failed");
    report.zeroed = count("zeroed");
    if (const json::value* zeroing = o.if_contains("zeroing")) {
      report.zeroing = std::string(zeroing->as_string());
    }
    for (const json::value& location : o.at("locations").as_array()) {
      report.locations.insert(std::string(location.as_string()));
    }
    for (const json::value& e : o.at("errors").as_array()) {
      report.errors.push_back(
          {e.at("line").to_number<uint64_t>(), std::string(e.at("reason").as_string())});
    }
    report.started_at = parse_rfc3339(o.at("started_at").as_string()).value_or(Timestamp{});
    if (o.at("finished_at").is_string()) {
      report.finished_at = parse_rfc3339(o.at("finished_at").as_string()).value_or(Timestamp{});
    }
    return report;
  } catch (const std::exception&) {
    return std::nullopt;  // not a report stockd wrote
  }
}

std::optional<SnapshotImport> SnapshotImport::begin(Engine& engine, Store& store,
                                                    const Clock& clock, ImportRequest request,
                                                    std::string* error) {
  if (request.id.empty() || request.id.size() > 128) {
    *error = "id: an import id is 1-128 characters";
    return std::nullopt;
  }
  if (engine.catalog()->find_source(request.source) == nullptr) {
    *error = "source: unknown source '" + request.source + "'";
    return std::nullopt;
  }
  if (request.full && !request.as_of) {
    *error = "as_of: a full import needs the time its snapshot was taken";
    return std::nullopt;
  }
  if (request.as_of && *request.as_of > clock.now()) {
    *error = "as_of: " + format_rfc3339(*request.as_of) + " is in the future";
    return std::nullopt;
  }
  ImportReport report;
  if (std::optional<ImportReport> stored = load_import_report(store, request.id)) {
    if (stored->source != request.source || stored->format != request.format ||
        stored->full != request.full || stored->as_of != request.as_of) {
      *error = "id: import '" + request.id +
               "' exists with another source, format, mode or as_of; use another id";
      return std::nullopt;
    }
    report = std::move(*stored);
    report.resumed_after_line = report.lines_done;
  } else {
    report.id = request.id;
    report.source = request.source;
    report.format = request.format;
    report.full = request.full;
    report.as_of = request.as_of;
    report.started_at = clock.now();
  }
  const bool done = report.done;
  SnapshotImport import(engine, store, clock, std::move(request), std::move(report));
  import.already_done_ = done;
  return import;
}

SnapshotImport::SnapshotImport(Engine& engine, Store& store, const Clock& clock,
                               ImportRequest request, ImportReport report)
    : engine_(&engine),
      store_(&store),
      clock_(&clock),
      request_(std::move(request)),
      report_(std::move(report)),
      reader_(request_.format) {}

void SnapshotImport::add_error(uint64_t line, std::string reason) {
  ++report_.failed;
  if (report_.errors.size() < kImportErrorsKept)
    report_.errors.push_back({line, std::move(reason)});
}

void SnapshotImport::feed(std::string_view bytes) {
  bytes_fed_ += bytes.size();
  if (already_done_ || reader_.fatal()) return;
  reader_.feed(bytes, pending_, pending_errors_);
  if (pending_.size() >= request_.chunk_rows) apply_pending();
}

void SnapshotImport::apply_pending() {
  const uint64_t skip_through = report_.resumed_after_line;
  std::vector<Event> events;
  std::vector<const SnapshotRow*> sent;
  uint64_t last_line = 0;
  // Parse errors and rows, in line order, past what an earlier run already did.
  size_t next_error = 0;
  const auto errors_before = [&](uint64_t line) {
    while (next_error < pending_errors_.size() && pending_errors_[next_error].line < line) {
      SnapshotRowError& error = pending_errors_[next_error++];
      if (error.line > skip_through) add_error(error.line, std::move(error.reason));
      last_line = std::max(last_line, error.line);
    }
  };
  for (const SnapshotRow& row : pending_) {
    errors_before(row.line);
    last_line = std::max(last_line, row.line);
    if (row.line <= skip_through) continue;
    ++report_.rows;
    if (request_.may_write_at && !request_.may_write_at(row.location)) {
      add_error(row.line, "this token may not write at location '" + row.location + "'");
      continue;
    }
    const std::optional<Timestamp> as_of = row.as_of ? row.as_of : request_.as_of;
    if (!as_of) {
      add_error(row.line, "as_of: the row has none and the import gives none");
      continue;
    }
    if (request_.full && *as_of != *request_.as_of) {
      add_error(row.line, "as_of: a full import's rows are all as of its as_of");
      continue;
    }
    Event event;
    event.id = "import:" + request_.id + ":" + std::to_string(row.line);
    event.source = request_.source;
    event.type = EventType::count;
    event.sku = row.sku;
    event.location = row.location;
    event.quantity = row.on_hand;
    event.occurred_at = *as_of;
    event.reason = request_.full ? "snapshot" : "snapshot_partial";
    event.reference = request_.id;
    event.principal = request_.principal;
    events.push_back(std::move(event));
    sent.push_back(&row);
  }
  errors_before(UINT64_MAX);
  if (!events.empty()) {
    const std::vector<EventResult> results = apply_events_blocking(*engine_, std::move(events));
    for (size_t i = 0; i < results.size(); ++i) {
      const EventResult& result = results[i];
      switch (result.status) {
        case EventStatus::applied:
          ++(result.on_hand_delta != 0 ? report_.changed : report_.unchanged);
          report_.locations.insert(sent[i]->location);
          break;
        case EventStatus::superseded:
          ++report_.superseded;
          report_.locations.insert(sent[i]->location);
          break;
        case EventStatus::duplicate:
          ++report_.duplicates;
          report_.locations.insert(sent[i]->location);
          break;
        case EventStatus::rejected:
          add_error(sent[i]->line,
                    std::string(event_error_name(result.error)) +
                        (result.error_field.empty() ? "" : " (" + result.error_field + ")"));
          break;
      }
    }
  }
  pending_.clear();
  pending_errors_.clear();
  std::stable_sort(
      report_.errors.begin(), report_.errors.end(),
      [](const SnapshotRowError& a, const SnapshotRowError& b) { return a.line < b.line; });
  report_.lines_done = std::max(report_.lines_done, last_line);
  save();
}

void SnapshotImport::finish() {
  if (already_done_) return;
  if (!reader_.fatal()) reader_.finish(pending_, pending_errors_);
  if (const std::optional<std::string>& fatal = reader_.fatal()) {
    add_error(1, *fatal);
    report_.zeroing = request_.full ? "nothing zeroed: the file could not be read" : "";
  } else {
    apply_pending();
    report_.lines_done = std::max(report_.lines_done, reader_.lines());
    if (request_.full) zero_the_rest();
  }
  report_.done = true;
  report_.finished_at = clock_->now();
  save();
}

void SnapshotImport::zero_the_rest() {
  if (report_.failed > 0) {
    report_.zeroing = "nothing zeroed: " + std::to_string(report_.failed) +
                      " row(s) failed, and a failed row's SKU must not be counted as zero; "
                      "fix them and run the import again";
    return;
  }
  const Timestamp as_of = *request_.as_of;
  std::vector<Event> events;
  const Status status = store_->for_each_position(
      [&](std::string_view sku, std::string_view location, const Position& position) {
        if (!report_.locations.contains(std::string(location)) || position.on_hand == 0) return;
        if (position.last_set && position.last_set->as_of >= as_of) return;  // counted here
        Event event;
        event.id =
            "import:" + request_.id + ":zero:" + std::string(location) + ":" + std::string(sku);
        event.source = request_.source;
        event.type = EventType::count;
        event.sku = std::string(sku);
        event.location = std::string(location);
        event.quantity = 0;
        event.occurred_at = as_of;
        event.reason = "snapshot";
        event.reference = request_.id;
        event.principal = request_.principal;
        events.push_back(std::move(event));
      });
  if (!status.is_ok()) {
    report_.zeroing = "nothing zeroed: the positions could not be read: " + status.message();
    return;
  }
  for (size_t first = 0; first < events.size(); first += request_.chunk_rows) {
    const size_t last = std::min(events.size(), first + request_.chunk_rows);
    std::vector<Event> chunk(
        std::make_move_iterator(events.begin() + static_cast<ptrdiff_t>(first)),
        std::make_move_iterator(events.begin() + static_cast<ptrdiff_t>(last)));
    for (const EventResult& result : apply_events_blocking(*engine_, std::move(chunk))) {
      if (result.status == EventStatus::applied) ++report_.zeroed;
    }
  }
}

void SnapshotImport::save() {
  const std::string bytes = json::serialize(import_report_json(report_));
  if (Status status = store_->put_aux(report_key(report_.id), bytes); !status.is_ok()) {
    std::fprintf(stderr, "stockd: import progress write failed: %s\n", status.message().c_str());
    std::abort();
  }
}

}  // namespace stockd
