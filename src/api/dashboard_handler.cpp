// The dashboard: GET / and /assets/{file} (embedded at build time), GET /v1/stream
// (server-sent events), GET /v1/stock/{sku}/ledger (a SKU's recent ledger entries), and
// the snapshot the stream carries.
#include <boost/json.hpp>

#include "api/dashboard_assets.hpp"
#include "api/handlers.hpp"
#include "api/live_feed.hpp"
#include "api/problem.hpp"
#include "core/ids.hpp"
#include "core/ledger.hpp"
#include "engine/store.hpp"
#include "sync/webhook_service.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

constexpr size_t kChangesPerTick = 50;
constexpr size_t kLedgerScanMax = 200'000;

double ms(double seconds) { return std::round(seconds * 10'000) / 10; }  // 0.1 ms

// What the snapshot needs from one tick to the next: counters for rates, histograms
// for windowed quantiles, the outbox cursors of the changes feed.
struct FeedState {
  std::optional<std::chrono::steady_clock::time_point> at;
  uint64_t events = 0;
  uint64_t rejected = 0;
  uint64_t availability_changes = 0;
  uint64_t reservations_created = 0;
  uint64_t reservations_refused = 0;
  Histogram event_lag = Histogram::seconds();
  Histogram sync_lag = Histogram::seconds();
  std::vector<uint64_t> cursors;
};

std::string snapshot_json(ApiContext& api, FeedState& state) {
  const auto now = std::chrono::steady_clock::now();
  const double seconds =
      state.at ? std::max(0.001, std::chrono::duration<double>(now - *state.at).count()) : 1.0;
  const EngineStats stats = api.engine.stats();
  const EngineMetrics metrics = api.engine.metrics();
  uint64_t events = 0;
  uint64_t rejected = 0;
  for (const auto& [key, count] : metrics.events) {
    events += count;
    if (key.status == "rejected") rejected += count;
  }
  Histogram event_lag = Histogram::seconds();
  for (const auto& [source, histogram] : metrics.event_lag_seconds_by_source) {
    event_lag.merge(histogram);
  }
  const std::vector<WebhookView> hooks =
      api.webhooks != nullptr ? api.webhooks->list() : std::vector<WebhookView>{};
  Histogram sync_lag = Histogram::seconds();
  std::map<std::string, Histogram> sync_lag_by_channel;
  std::map<std::string, uint64_t> pending_by_channel;
  uint64_t pending = 0;
  uint64_t dead = 0;
  for (const WebhookView& view : hooks) {
    pending += view.status.pending;
    dead += view.status.dead_lettered;
    for (const auto& [channel, histogram] : view.status.delivery_lag_seconds_by_channel) {
      sync_lag.merge(histogram);
      sync_lag_by_channel.try_emplace(channel, Histogram::seconds()).first->second.merge(histogram);
    }
  }
  const Histogram event_window = event_lag.since(state.event_lag);
  const Histogram sync_window = sync_lag.since(state.sync_lag);
  evaluate_health_alerts(api, event_window);
  const auto rate = [&](uint64_t current, uint64_t previous) {
    return state.at ? std::round(static_cast<double>(current - std::min(current, previous)) /
                                 seconds * 10) /
                          10
                    : 0.0;
  };

  json::object out;
  out["at"] = format_rfc3339(api.clock.now());
  out["events"] = json::object{{"total", events},
                               {"per_second", rate(events, state.events)},
                               {"rejected_per_second", rate(rejected, state.rejected)}};
  out["event_lag_ms"] = json::object{{"p50", ms(event_window.quantile(0.5))},
                                     {"p95", ms(event_window.quantile(0.95))},
                                     {"window_count", event_window.count()}};
  out["sync_lag_ms"] = json::object{{"p50", ms(sync_window.quantile(0.5))},
                                    {"p95", ms(sync_window.quantile(0.95))},
                                    {"window_count", sync_window.count()}};
  out["availability_changes"] =
      json::object{{"total", metrics.availability_changes},
                   {"per_second", rate(metrics.availability_changes, state.availability_changes)}};
  out["reservations"] = json::object{
      {"created_per_second", rate(stats.reservations_created, state.reservations_created)},
      {"refused_per_second", rate(stats.reservations_refused, state.reservations_refused)}};
  out["queue_depth"] = stats.queue_depth;
  out["anomalies"] = stats.anomalies;
  json::array alerts;
  for (const Alert& alert : api.alerts.active()) {
    alerts.push_back(json::object{{"kind", alert.kind},
                                  {"severity", alert_severity_name(alert.severity)},
                                  {"message", alert.message},
                                  {"action", alert.action},
                                  {"since", format_rfc3339(alert.raised_at)}});
  }
  out["alerts"] = std::move(alerts);
  const std::shared_ptr<const Catalog> catalog = api.engine.catalog();
  json::array channels;
  for (const auto& [id, channel] : catalog->channels()) {
    const auto degraded = api.health.degraded(id);
    const auto lag = sync_lag_by_channel.find(id);
    json::object item{{"id", id},
                      {"degraded", degraded.has_value()},
                      {"reason", degraded ? degraded->reason : ""},
                      {"locations", channel.locations.size()},
                      {"sync_latency_seconds", channel.sync_latency_seconds},
                      {"deliveries", lag != sync_lag_by_channel.end() ? lag->second.count() : 0},
                      {"sync_lag_p95_ms",
                       lag != sync_lag_by_channel.end() ? ms(lag->second.quantile(0.95)) : 0.0}};
    channels.push_back(std::move(item));
  }
  out["channels"] = std::move(channels);
  json::array nodes;
  for (const auto& [id, location] : catalog->locations()) {
    const auto lag = metrics.event_lag_seconds_by_location.find(id);
    const bool seen = lag != metrics.event_lag_seconds_by_location.end();
    nodes.push_back(json::object{{"id", id},
                                 {"name", location.name},
                                 {"type", location_type_name(location.type)},
                                 {"events", seen ? lag->second.count() : 0},
                                 {"lag_p50_ms", seen ? ms(lag->second.quantile(0.5)) : 0.0},
                                 {"lag_p95_ms", seen ? ms(lag->second.quantile(0.95)) : 0.0}});
  }
  out["nodes"] = std::move(nodes);
  out["webhooks"] =
      json::object{{"subscriptions", hooks.size()}, {"pending", pending}, {"dead_lettered", dead}};

  state.at = now;
  state.events = events;
  state.rejected = rejected;
  state.availability_changes = metrics.availability_changes;
  state.reservations_created = stats.reservations_created;
  state.reservations_refused = stats.reservations_refused;
  state.event_lag = event_lag;
  state.sync_lag = sync_lag;
  return json::serialize(out);
}

std::vector<std::string> changes_json(Store& store, FeedState& state) {
  std::vector<std::string> out;
  for (uint32_t shard = 0; shard < state.cursors.size(); ++shard) {
    std::vector<OutboxRow> rows;
    if (!store.read_outbox(shard, state.cursors[shard], 2'000, rows).is_ok()) continue;
    for (const OutboxRow& row : rows) {
      state.cursors[shard] = row.sequence;
      if (row.kind != OutboxKind::availability_changed) continue;
      out.push_back(json::serialize(json::object{{"sku", row.sku},
                                                 {"channel", row.channel},
                                                 {"available", row.available},
                                                 {"at", format_rfc3339(row.recorded_at)}}));
    }
  }
  if (out.size() > kChangesPerTick) out.erase(out.begin(), out.end() - kChangesPerTick);
  return out;
}

}  // namespace

std::unique_ptr<LiveFeed> make_live_feed(ApiContext& api, Store& store) {
  auto state = std::make_shared<FeedState>();
  state->cursors = api.engine.outbox_heads();
  auto feed = std::make_unique<LiveFeed>([&api, state] { return snapshot_json(api, *state); },
                                         [&store, state] { return changes_json(store, *state); });
  return feed;
}

void get_stream(ApiContext& api, Call call) {
  if (api.live == nullptr) {
    return call.respond(problem(503, "stream-unavailable", "Stream unavailable",
                                "this server runs without the live feed"));
  }
  HttpResponse response;
  response.status = 200;
  response.set_header("Content-Type", "text/event-stream");
  response.set_header("X-Accel-Buffering", "no");
  response.stream = api.live->subscribe();
  call.respond(std::move(response));
}

void get_sku_ledger(ApiContext& api, Call call) {
  const std::string& sku = call.params.at(0);
  if (!is_valid_sku(sku)) {
    return call.respond(validation_problem("sku", "a SKU is 1-128 characters of [A-Za-z0-9._:/-]"));
  }
  int64_t limit = 20;
  if (const std::string_view text = call.query_value("limit"); !text.empty()) {
    limit = 0;
    for (const char c : text) {
      if (c < '0' || c > '9' || limit > 1000) {
        return call.respond(validation_problem("limit", "limit is 1..100"));
      }
      limit = limit * 10 + (c - '0');
    }
    if (limit < 1 || limit > 100)
      return call.respond(validation_problem("limit", "limit is 1..100"));
  }
  if (auto unavailable = ledger_unavailable(api)) return call.respond(std::move(*unavailable));
  json::array entries;
  size_t scanned = 0;
  const Status status = api.store->for_each_ledger_record_reverse(
      api.engine.shard_of(sku), [&](std::string_view bytes) {
        ++scanned;
        const auto record = decode_ledger_record(bytes);
        if (record && record->sku == sku) {
          json::object entry{{"sequence", record->sequence},
                             {"kind", record_kind_name(record->kind)},
                             {"received_at", format_rfc3339(record->received_at)}};
          if (record->kind == RecordKind::event) {
            entry["event_id"] = record->event.id;
            entry["source"] = record->event.source;
            entry["type"] = event_type_name(record->event.type);
            entry["status"] = event_status_name(record->status);
            entry["occurred_at"] = format_rfc3339(record->event.occurred_at);
          } else {
            entry["reference"] = record->reservation_id;
            if (!record->order_id.empty()) entry["order_id"] = record->order_id;
          }
          json::array deltas;
          for (const LedgerDelta& delta : record->deltas) {
            deltas.push_back(json::object{{"location", delta.location},
                                          {"bucket", bucket_name(delta.bucket)},
                                          {"delta", delta.delta}});
          }
          entry["deltas"] = std::move(deltas);
          entries.push_back(std::move(entry));
        }
        return entries.size() < static_cast<size_t>(limit) && scanned < kLedgerScanMax;
      });
  if (!status.is_ok()) {
    return call.respond(problem(500, "storage-error", "Storage error", status.message()));
  }
  call.respond(json_response(200, json::object{{"sku", sku},
                                               {"entries", std::move(entries)},
                                               {"complete", scanned < kLedgerScanMax}}));
}

void get_dashboard(ApiContext&, Call call) {
  const DashboardAsset* asset =
      find_dashboard_asset(call.params.empty() ? "index.html" : call.params[0]);
  if (asset == nullptr) {
    return call.respond(problem(404, "not-found", "Not found", "no such dashboard file"));
  }
  HttpResponse response;
  response.status = 200;
  response.set_header("Content-Type", std::string(asset->content_type));
  response.set_header("Cache-Control", "no-cache");
  response.body.assign(reinterpret_cast<const char*>(asset->bytes), asset->size);
  call.respond(std::move(response));
}

}  // namespace stockd
