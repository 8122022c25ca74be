// The audit trail: GET /v1/audit (the ledger filtered by SKU, location, principal and
// time, with cursor pagination), GET /v1/audit/verify (the hash chains), and the
// point-in-time reads GET /v1/stock/{sku}?as_of= rebuilt from the ledger.
#include <boost/json.hpp>
#include <charconv>

#include "api/handlers.hpp"
#include "api/problem.hpp"
#include "codec/json.hpp"
#include "core/ids.hpp"
#include "core/ledger.hpp"
#include "core/velocity.hpp"
#include "engine/audit.hpp"
#include "engine/store.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

constexpr int64_t kPageMax = 500;

// "<stream>-<sequence>": where the next page starts (inclusive).
std::optional<std::pair<uint32_t, uint64_t>> parse_cursor(std::string_view text) {
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  uint32_t stream = 0;
  uint64_t sequence = 0;
  const auto a = std::from_chars(text.data(), text.data() + dash, stream);
  const auto b = std::from_chars(text.data() + dash + 1, text.data() + text.size(), sequence);
  if (a.ec != std::errc{} || a.ptr != text.data() + dash || b.ec != std::errc{} ||
      b.ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return std::pair{stream, sequence};
}

json::object record_json(const LedgerRecord& record) {
  json::array deltas;
  for (const LedgerDelta& delta : record.deltas) {
    deltas.push_back(json::object{{"location", delta.location},
                                  {"bucket", bucket_name(delta.bucket)},
                                  {"delta", delta.delta}});
  }
  json::object out{{"stream", record.stream},
                   {"sequence", record.sequence},
                   {"kind", record_kind_name(record.kind)},
                   {"sku", record.sku},
                   {"received_at", format_rfc3339(record.received_at)},
                   {"principal", record.principal},
                   {"deltas", std::move(deltas)},
                   {"prev_hash", to_hex(record.prev_hash)},
                   {"hash", to_hex(record.hash)}};
  if (record.kind == RecordKind::event) {
    const Event& e = record.event;
    json::object event{{"id", e.id},
                       {"source", e.source},
                       {"type", event_type_name(e.type)},
                       {"location", e.location},
                       {"quantity", e.quantity},
                       {"occurred_at", format_rfc3339(e.occurred_at)}};
    if (!e.reason.empty()) event["reason"] = e.reason;
    if (!e.condition.empty()) event["condition"] = e.condition;
    if (!e.reference.empty()) event["reference"] = e.reference;
    if (!e.to_location.empty()) event["to_location"] = e.to_location;
    out["event"] = std::move(event);
    out["status"] = event_status_name(record.status);
    if (record.error != EventError::none) out["error"] = event_error_name(record.error);
    if (record.anomalies != 0) out["anomalies"] = anomalies_json(record.anomalies);
  } else {
    out["reference"] = record.reservation_id;
    out["quantity"] = record.reservation_quantity;
    if (!record.order_id.empty()) out["order_id"] = record.order_id;
  }
  return out;
}

bool touches(const LedgerRecord& record, std::string_view location) {
  if (record.kind == RecordKind::event &&
      (record.event.location == location || record.event.to_location == location)) {
    return true;
  }
  for (const LedgerDelta& delta : record.deltas) {
    if (delta.location == location) return true;
  }
  return false;
}

}  // namespace

void get_audit(ApiContext& api, Call call) {
  const std::string sku(call.query_value("sku"));
  const std::string location(call.query_value("location"));
  const std::string principal(call.query_value("principal"));
  if (!sku.empty() && !is_valid_sku(sku)) {
    return call.respond(validation_problem("sku", "a SKU is 1-128 characters of [A-Za-z0-9._:/-]"));
  }
  Timestamp from = timestamp_from_micros(0), to = api.clock.now() + std::chrono::hours{24};
  for (const char* name : {"from", "to"}) {
    const std::string_view text = call.query_value(name);
    if (text.empty()) continue;
    const auto parsed = parse_rfc3339(text);
    if (!parsed) return call.respond(validation_problem(name, "an RFC 3339 time"));
    (std::string_view(name) == "from" ? from : to) = *parsed;
  }
  const std::optional<int64_t> limit_or = call.query_integer("limit", 1, kPageMax, 100);
  if (!limit_or) return call.respond(validation_problem("limit", "limit is 1..500"));
  const int64_t limit = *limit_or;
  std::pair<uint32_t, uint64_t> start{0, 0};
  if (const std::string_view text = call.query_value("cursor"); !text.empty()) {
    const auto cursor = parse_cursor(text);
    if (!cursor) return call.respond(validation_problem("cursor", "a cursor from next_cursor"));
    start = *cursor;
  }
  if (auto unavailable = ledger_unavailable(api)) return call.respond(std::move(*unavailable));
  const std::optional<uint32_t> only_stream =
      sku.empty() ? std::nullopt : std::optional(api.engine.shard_of(sku));
  json::array records;
  std::optional<std::pair<uint32_t, uint64_t>> next;
  bool corrupt = false;
  const Status status = api.store->for_each_ledger_record(
      [&](uint32_t stream, uint64_t sequence, std::string_view bytes) {
        if (std::pair{stream, sequence} < start) return true;
        if (only_stream && stream != *only_stream) return stream < *only_stream;
        const auto record = decode_ledger_record(bytes);
        if (!record) {
          corrupt = true;
          return false;
        }
        if ((!sku.empty() && record->sku != sku) ||
            (!location.empty() && !touches(*record, location)) ||
            (!principal.empty() && record->principal != principal) || record->received_at < from ||
            record->received_at >= to) {
          return true;
        }
        if (static_cast<int64_t>(records.size()) == limit) {
          next = std::pair{stream, sequence};
          return false;
        }
        records.push_back(record_json(*record));
        return true;
      });
  if (!status.is_ok() || corrupt) {
    return call.respond(problem(
        500, "storage-error", "Storage error",
        corrupt ? "an unreadable ledger record (run stockd audit verify)" : status.message()));
  }
  json::object body{{"records", std::move(records)}};
  body["next_cursor"] =
      next ? json::value(std::to_string(next->first) + "-" + std::to_string(next->second))
           : json::value(nullptr);
  call.respond(json_response(200, body));
}

void get_audit_verify(ApiContext& api, Call call) {
  if (auto unavailable = ledger_unavailable(api)) return call.respond(std::move(*unavailable));
  const AuditReport report = verify_ledger(*api.store);
  json::object body{{"ok", report.ok}, {"records", report.records}, {"streams", report.streams}};
  if (!report.ok) {
    body["first_bad_record"] = json::object{{"stream", report.bad_stream},
                                            {"sequence", report.bad_sequence},
                                            {"reason", report.reason}};
  }
  call.respond(json_response(200, body));
}

// The SKU's positions as the ledger says they were at `as_of` (what stockd had recorded
// by then): every bucket delta and version of the records received up to that instant.
std::optional<StockView> stock_as_of(ApiContext& api, const std::string& sku, Timestamp as_of,
                                     std::string* error) {
  std::map<std::string, Position> positions;
  bool corrupt = false;
  const uint32_t stream = api.engine.shard_of(sku);
  const Status status =
      api.store->for_each_ledger_record([&](uint32_t at_stream, uint64_t, std::string_view bytes) {
        if (at_stream < stream) return true;
        if (at_stream > stream) return false;
        const auto record = decode_ledger_record(bytes);
        if (!record) {
          corrupt = true;
          return false;
        }
        if (record->sku != sku) return true;
        if (record->received_at > as_of) return true;
        replay_record(*record, [&](std::string_view location) -> Position& {
          return positions[std::string(location)];
        });
        return true;
      });
  if (!status.is_ok() || corrupt) {
    *error = corrupt ? "an unreadable ledger record" : status.message();
    return std::nullopt;
  }
  StockView view;
  view.sku = sku;
  for (auto& [location, position] : positions) view.positions.push_back({location, position});
  return view;
}

}  // namespace stockd
