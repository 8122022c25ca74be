#include "api/api.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cstdio>
#include <random>

#include "api/handlers.hpp"
#include "api/problem.hpp"
#include "cluster/cluster_node.hpp"
#include "observability/prometheus.hpp"
#include "sync/signature.hpp"

namespace stockd {
namespace {

using RouteHandler = void (*)(ApiContext&, Call);

struct Route {
  std::string_view method;
  std::string_view path;  // segments; "{}" matches one segment
  uint32_t scope;         // 0 = no authentication
  RouteHandler handler;
};

void healthz(ApiContext&, Call call) {
  call.respond(json_response(200, boost::json::object{{"status", "ok"}}));
}

void get_cluster(ApiContext& api, Call call) {
  if (api.cluster == nullptr) {
    return call.respond(json_response(
        200, boost::json::object{{"mode", "single-node"}, {"shards", api.engine.shard_count()}}));
  }
  HttpResponse response;
  response.status = 200;
  response.set_header("Content-Type", "application/json");
  response.body = api.cluster->status_json();
  call.respond(std::move(response));
}

void readyz(ApiContext& api, Call call) {
  const EngineStats stats = api.engine.stats();
  const size_t capacity = api.engine.shard_count() * 65'536;
  if (api.draining) {
    HttpResponse response = problem(503, "not-ready", "Not ready", "the server is shutting down");
    response.set_header("Retry-After", "1");
    return call.respond(std::move(response));
  }
  if (api.engine.storage_degraded()) {
    HttpResponse response =
        problem(503, "not-ready", "Not ready",
                "durable writes are failing (" + api.engine.storage_error() +
                    "); facts and holds are refused until the disk takes writes again");
    response.set_header("Retry-After", "5");
    return call.respond(std::move(response));
  }
  if (stats.queue_depth * 10 > capacity * 9) {
    HttpResponse response =
        problem(503, "not-ready", "Not ready", "engine queues are more than 90% full");
    response.set_header("Retry-After", "1");
    return call.respond(std::move(response));
  }
  call.respond(json_response(
      200, boost::json::object{{"status", "ready"}, {"queue_depth", stats.queue_depth}}));
}

constexpr Route kRoutes[] = {
    {"GET", "/healthz", 0, healthz},
    {"GET", "/readyz", 0, readyz},
    {"GET", "/metrics", scope_stock_read, get_metrics},
    {"GET", "/", 0, get_dashboard},
    {"GET", "/assets/{}", 0, get_dashboard},
    {"GET", "/v1/stream", scope_stock_read, get_stream},
    {"GET", "/v1/kpis", scope_stock_read, get_kpis},
    {"GET", "/v1/scorecard", scope_stock_read, get_scorecard},
    {"GET", "/v1/stock/{}/ledger", scope_stock_read, get_sku_ledger},
    {"POST", "/v1/events", scope_events_write, post_events},
    {"GET", "/v1/stock/{}", scope_stock_read, get_stock},
    {"GET", "/v1/availability/{}", scope_stock_read, get_availability},
    {"POST", "/v1/availability/query", scope_stock_read, post_availability_query},
    {"POST", "/v1/reservations", scope_reservations_write, post_reservation},
    {"GET", "/v1/reservations/{}", scope_stock_read, get_reservation},
    {"POST", "/v1/reservations/{}/commit", scope_reservations_write, commit_reservation},
    {"DELETE", "/v1/reservations/{}", scope_reservations_write, release_reservation},
    {"POST", "/v1/orders", scope_orders_write, post_order},
    {"GET", "/v1/orders/{}", scope_stock_read, get_order},
    {"POST", "/v1/orders/{}/cancel", scope_orders_write, cancel_order},
    {"POST", "/v1/orders/{}/reroute", scope_orders_write, reroute_order},
    {"POST", "/v1/orders/{}/delivered", scope_orders_write, post_order_delivered},
    {"POST", "/v1/returns/route", scope_stock_read, post_return_route},
    {"POST", "/v1/counts", scope_events_write, post_counts},
    {"GET", "/v1/counts/schedule", scope_stock_read, get_count_schedule},
    {"GET", "/v1/counts/{}", scope_stock_read, get_count},
    {"GET", "/v1/reconciliation", scope_stock_read, get_reconciliation},
    {"PUT", "/v1/items/{}", scope_admin, put_item},
    {"GET", "/v1/items/{}", scope_stock_read, get_item},
    {"POST", "/v1/asns", scope_events_write, post_asn},
    {"GET", "/v1/asns/{}", scope_stock_read, get_asn},
    {"GET", "/v1/vendors/{}/scorecard", scope_stock_read, get_vendor_scorecard},
    {"GET", "/v1/forecast/{}", scope_stock_read, get_forecast},
    {"POST", "/v1/imports", scope_events_write, post_import},
    {"GET", "/v1/imports/{}", scope_stock_read, get_import},
    {"POST", "/v1/reconcile", scope_stock_read, post_reconcile},
    {"GET", "/v1/exports/positions", scope_stock_read, get_positions_export},
    {"GET", "/v1/replenishment", scope_stock_read, get_replenishment},
    {"POST", "/v1/promotions", scope_admin, post_promotion},
    {"GET", "/v1/promotions", scope_stock_read, list_promotions},
    {"GET", "/v1/promotions/{}", scope_stock_read, get_promotion},
    {"DELETE", "/v1/promotions/{}", scope_admin, delete_promotion},
    {"GET", "/v1/exceptions", scope_stock_read, list_exceptions},
    {"POST", "/v1/exceptions/{}/resolve", scope_events_write, resolve_exception},
    {"POST", "/v1/purchase-orders", scope_events_write, post_purchase_order},
    {"GET", "/v1/purchase-orders/{}", scope_stock_read, get_purchase_order},
    {"GET", "/v1/bundles", scope_stock_read, list_bundles},
    {"PUT", "/v1/bundles/{}", scope_admin, put_bundle},
    {"GET", "/v1/bundles/{}", scope_stock_read, get_bundle},
    {"DELETE", "/v1/bundles/{}", scope_admin, delete_bundle},
    {"GET", "/v1/locations", scope_stock_read, list_locations},
    {"PUT", "/v1/locations/{}", scope_admin, put_location},
    {"GET", "/v1/locations/{}", scope_stock_read, get_location},
    {"DELETE", "/v1/locations/{}", scope_admin, delete_location},
    {"GET", "/v1/channels", scope_stock_read, list_channels},
    {"PUT", "/v1/channels/{}", scope_admin, put_channel},
    {"GET", "/v1/channels/{}", scope_stock_read, get_channel},
    {"DELETE", "/v1/channels/{}", scope_admin, delete_channel},
    {"GET", "/v1/sources", scope_stock_read, list_sources},
    {"PUT", "/v1/sources/{}", scope_admin, put_source},
    {"GET", "/v1/sources/{}", scope_stock_read, get_source},
    {"DELETE", "/v1/sources/{}", scope_admin, delete_source},
    {"GET", "/v1/webhooks", scope_admin, list_webhooks},
    {"POST", "/v1/webhooks", scope_admin, post_webhook},
    {"GET", "/v1/webhooks/{}", scope_admin, get_webhook},
    {"DELETE", "/v1/webhooks/{}", scope_admin, delete_webhook},
    {"POST", "/v1/webhooks/{}/rotate-secret", scope_admin, rotate_webhook_secret},
    {"GET", "/v1/webhooks/{}/dead-letters", scope_admin, list_dead_letters},
    {"POST", "/v1/webhooks/{}/dead-letters/replay", scope_admin, replay_dead_letters},
    {"GET", "/v1/alerts", scope_stock_read, list_alerts},
    {"GET", "/v1/tokens", scope_admin, list_tokens},
    {"POST", "/v1/tokens", scope_admin, post_token},
    {"POST", "/v1/tokens/{}/rotate", scope_admin, rotate_token},
    {"DELETE", "/v1/tokens/{}", scope_admin, delete_token},
    {"GET", "/v1/audit", scope_admin, get_audit},
    {"GET", "/v1/audit/verify", scope_admin, get_audit_verify},
    {"GET", "/v1/sync", scope_stock_read, get_sync},
    {"GET", "/v1/cluster", scope_stock_read, get_cluster},
};

// What cluster mode refuses (501) for now: operations over several SKUs at once (orders,
// purchase orders, ASNs, imports) and those whose records live on one node's store.
bool refused_in_cluster_mode(std::string_view method, std::string_view path) {
  if (method != "POST") return false;
  return path == "/v1/orders" || path.starts_with("/v1/orders/") || path == "/v1/purchase-orders" ||
         path == "/v1/asns" || path == "/v1/imports" || path.starts_with("/v1/exceptions/");
}

// Matches `segments` against a route path; fills `params` with the wildcards.
bool matches(std::string_view path, const std::vector<std::string>& segments,
             std::vector<std::string>& params) {
  params.clear();
  if (path == "/") return segments.empty();
  path.remove_prefix(1);
  size_t index = 0;
  while (true) {
    const size_t slash = path.find('/');
    const std::string_view pattern = path.substr(0, slash);
    if (index >= segments.size()) return false;
    if (pattern == "{}") {
      if (segments[index].empty()) return false;
      params.push_back(segments[index]);
    } else if (pattern != segments[index]) {
      return false;
    }
    ++index;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return index == segments.size();
}

std::string scope_label(uint32_t scope) { return scopes_text(scope); }

std::string new_request_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(random()));
  return buffer;
}

constexpr double kSlowRequestMs = 250;

// Structured access log: one JSON object per line on stderr (spdlog, no pattern noise).
void log_request(const std::string& request_id, const std::string& method, std::string_view route,
                 int status, double duration_ms) {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto created = std::make_shared<spdlog::logger>("access", sink);
    created->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":"%n",%v})",
                         spdlog::pattern_time_type::utc);
    return created;
  }();
  // Errors and slow requests only: a line per request costs a write(2) on the hot path
  // (measured: a third of single-event POST throughput).
  if (status < 400 && duration_ms < kSlowRequestMs) return;
  // route and method come from the route table; the id is checked: no escaping needed.
  logger->info(
      R"("msg":"request","request_id":"{}","method":"{}","route":"{}","status":{},"duration_ms":{:.3f})",
      request_id, method, route, status, duration_ms);
}

}  // namespace

std::shared_ptr<const Channel> degraded_channel(const ApiContext& api, const Channel& channel) {
  if (!api.health.degraded(channel.id)) return nullptr;
  return std::make_shared<const Channel>(degraded_view(channel));
}

void HttpMetrics::count(std::string_view method, std::string_view route, int status) {
  std::lock_guard lock(mutex_);
  requests_[{std::string(method), std::string(route), status}] += 1;
}

void HttpMetrics::write(PrometheusText& out) const {
  out.family("stockd_http_requests_total", "counter",
             "HTTP requests by method, route pattern and status code.");
  std::lock_guard lock(mutex_);
  for (const auto& [key, count] : requests_) {
    const auto& [method, route, status] = key;
    out.sample("stockd_http_requests_total",
               {{"method", method}, {"route", route}, {"code", std::to_string(status)}},
               static_cast<double>(count));
  }
}

bool SeenWebhookIds::contains(const std::string& key, Timestamp now) const {
  std::lock_guard lock(mutex_);
  const auto found = seen_.find(key);
  return found != seen_.end() && found->second > now;
}

void SeenWebhookIds::remember(const std::string& key, Timestamp now) {
  std::lock_guard lock(mutex_);
  if (seen_.size() >= kEntriesMax)
    std::erase_if(seen_, [&](const auto& e) { return e.second <= now; });
  // Twice the tolerance: a timestamp may be that far in the future.
  seen_.insert_or_assign(key, now + std::chrono::seconds{2 * kWebhookToleranceSeconds});
}

bool InflightRequests::try_begin(const std::string& key) {
  std::lock_guard lock(mutex_);
  return keys_.insert(key).second;
}

void InflightRequests::end(const std::string& key) {
  std::lock_guard lock(mutex_);
  keys_.erase(key);
}

Api::Api(Engine& engine, TokenStore& tokens, const Clock& clock, ApiOptions options)
    : context_(new ApiContext{engine, tokens, clock, options}),
      limiter_(clock, options.rate_per_second, options.rate_burst) {}

Api::~Api() = default;

void Api::handle(HttpRequest request, Respond respond) {
  const auto parsed = boost::urls::parse_origin_form(request.target);
  if (!parsed) {
    return respond(
        problem(400, "bad-request", "Bad request", "the request target is not a valid path"));
  }
  const boost::urls::url_view url = *parsed;
  std::vector<std::string> segments;
  for (const auto& segment : url.segments()) segments.push_back(segment);
  if (!segments.empty() && segments.back().empty()) segments.pop_back();  // trailing slash

  const Route* found = nullptr;
  std::vector<std::string> params;
  std::string allowed;
  for (const Route& route : kRoutes) {
    if (!matches(route.path, segments, params)) continue;
    if (route.method == request.method) {
      found = &route;
      break;
    }
    if (!allowed.empty()) allowed += ", ";
    allowed += route.method;
  }
  if (found == nullptr) {
    if (!allowed.empty()) {
      HttpResponse response = problem(405, "method-not-allowed", "Method not allowed",
                                      request.method + " is not allowed here; use " + allowed);
      response.set_header("Allow", allowed);
      return respond(std::move(response));
    }
    return respond(
        problem(404, "not-found", "Not found", "no route for " + std::string(url.path())));
  }
  // Re-match to recover this route's params (the loop may have moved on).
  matches(found->path, segments, params);
  // A request id (the caller's X-Request-Id when it is sane, else a new one) goes back
  // in the response and into the access log, one JSON line per request.
  std::string request_id(request.header("x-request-id"));
  if (request_id.empty() || request_id.size() > 64 ||
      request_id.find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:") !=
          std::string::npos) {
    request_id = new_request_id();
  }
  respond = [this, method = request.method, route = found->path, request_id,
             started = std::chrono::steady_clock::now(),
             respond = std::move(respond)](HttpResponse response) {
    context_->http_metrics.count(method, route, response.status);
    response.set_header("X-Request-Id", request_id);
    if (context_->options.access_log) {
      log_request(
          request_id, method, route, response.status,
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
              .count());
    }
    respond(std::move(response));
  };

  Call call;
  call.params = std::move(params);
  for (const auto& param : url.params()) call.query.emplace_back(param.key, param.value);

  if (found->scope != 0) {
    const std::string_view authorization = request.header("authorization");
    constexpr std::string_view kBearer = "Bearer ";
    std::optional<Principal> principal;
    if (authorization.size() > kBearer.size() &&
        authorization.substr(0, kBearer.size()) == kBearer) {
      principal = context_->tokens.authenticate(authorization.substr(kBearer.size()));
    }
    if (!principal) {
      HttpResponse response = problem(401, "unauthorized", "Unauthorized",
                                      "send a valid token as 'Authorization: Bearer <token>'");
      response.set_header("WWW-Authenticate", "Bearer realm=\"stockd\"");
      return respond(std::move(response));
    }
    if (!principal->has(static_cast<Scope>(found->scope))) {
      boost::json::object extra;
      extra["required_scope"] = scope_label(found->scope);
      return respond(problem(403, "forbidden", "Forbidden",
                             "this token lacks the scope " + scope_label(found->scope),
                             std::move(extra)));
    }
    const RateDecision rate = limiter_.take(principal->token_id);
    const auto add_rate_headers = [rate](HttpResponse& response) {
      response.set_header("RateLimit-Limit", std::to_string(rate.limit));
      response.set_header("RateLimit-Remaining", std::to_string(rate.remaining));
      response.set_header("RateLimit-Reset", std::to_string(rate.reset_seconds));
    };
    if (!rate.allowed) {
      HttpResponse response = problem(429, "rate-limited", "Too many requests",
                                      "this token's rate limit is spent; retry after " +
                                          std::to_string(rate.retry_after_seconds) + " s");
      response.set_header("Retry-After", std::to_string(rate.retry_after_seconds));
      add_rate_headers(response);
      return respond(std::move(response));
    }
    call.principal = std::move(*principal);
    respond = [respond = std::move(respond), add_rate_headers](HttpResponse response) {
      add_rate_headers(response);
      respond(std::move(response));
    };
  }
  if (context_->cluster != nullptr && refused_in_cluster_mode(found->method, found->path)) {
    return respond(
        not_in_cluster_mode(std::string(found->method) + " " + std::string(found->path)));
  }
  call.request = std::move(request);
  call.respond = std::move(respond);
  found->handler(*context_, std::move(call));
}

}  // namespace stockd
