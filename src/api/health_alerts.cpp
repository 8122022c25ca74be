// Alerts about the inventory itself, evaluated once a second by the live feed: stale
// locations (not counted within their SLA, or silent for a day), negative on-hand, and
// event lag over the 5-minute target. Each clears by itself when the condition ends.
#include <cmath>

#include "api/handlers.hpp"

namespace stockd {
namespace {

constexpr auto kSilentAfter = std::chrono::hours{24};
constexpr double kLagTargetSeconds = 300;  // 95% of events synced within 5 minutes
constexpr uint64_t kLagSampleMin = 10;

std::string hours(Duration age) {
  const double value = std::chrono::duration<double>(age).count() / 3600;
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  return buffer;
}

}  // namespace

// Scheduled token review: active tokens unused for `token_unused_days` (or never used
// that long after creation) are flagged; last-use times are persisted here too.
void evaluate_token_review(ApiContext& api, Timestamp now) {
  api.tokens.persist_last_use();
  const auto idle_limit = std::chrono::hours{24 * api.options.token_unused_days};
  for (const TokenInfo& info : api.tokens.list()) {
    const std::string key = "token_unused:" + info.id;
    const bool active = !info.revoked && (micros_of(info.expires_at) == 0 || now < info.expires_at);
    const Timestamp last = micros_of(info.last_used_at) != 0 ? info.last_used_at : info.created_at;
    if (active && now - last >= idle_limit) {
      api.alerts.raise(
          key, "token_unused", AlertSeverity::warning,
          "token " + info.id + " (" + info.name + ") has not been used for " +
              std::to_string(std::chrono::duration_cast<std::chrono::hours>(now - last).count() /
                             24) +
              " days",
          now,
          "review it: revoke it (DELETE /v1/tokens/" + info.id + ") if nothing needs it any more");
    } else {
      api.alerts.clear(key, now);
    }
  }
}

void evaluate_health_alerts(ApiContext& api, const Histogram& event_lag_window) {
  const Timestamp now = api.clock.now();
  evaluate_token_review(api, now);
  const std::shared_ptr<const Catalog> catalog = api.engine.catalog();
  const std::map<std::string, LocationHealth> health = api.engine.location_health();
  for (const auto& [id, location] : catalog->locations()) {
    const auto found = health.find(id);
    const LocationHealth state = found != health.end() ? found->second : LocationHealth{};
    // Stale: not counted within its SLA, or no fact for a day after having had some.
    std::string stale;
    if (location.count_sla_hours > 0) {
      const Duration sla = std::chrono::hours{location.count_sla_hours};
      if (state.last_count_at == Timestamp{}) {
        stale = id + " has never been counted (count SLA " +
                std::to_string(location.count_sla_hours) + " h); pickup is not offered there";
      } else if (now - state.last_count_at > sla) {
        stale = id + " was last counted " + hours(now - state.last_count_at) + " h ago (SLA " +
                std::to_string(location.count_sla_hours) + " h); pickup is not offered there";
      }
    }
    if (stale.empty() && state.last_event_at != Timestamp{} &&
        now - state.last_event_at > kSilentAfter) {
      stale = id + " has sent no stock event for " + hours(now - state.last_event_at) + " h";
    }
    const std::string stale_key = "stale_location:" + id;
    if (!stale.empty()) {
      api.alerts.raise(stale_key, "stale_location", AlertSeverity::warning, stale, now,
                       "schedule a cycle count at " + id + " and check its connector");
    } else {
      api.alerts.clear(stale_key, now);
    }
    const std::string negative_key = "negative_on_hand:" + id;
    if (state.negative_positions > 0) {
      api.alerts.raise(
          negative_key, "negative_on_hand", AlertSeverity::warning,
          std::to_string(state.negative_positions) + " SKU(s) at " + id +
              " have a negative on-hand",
          now,
          "count those SKUs at " + id + "; a sale or shipment was recorded before its receipt");
    } else {
      api.alerts.clear(negative_key, now);
    }
  }
  const int64_t at_risk = api.engine.promises_at_risk_now();
  if (at_risk > 0) {
    api.alerts.raise("promises_at_risk", "promises_at_risk", AlertSeverity::warning,
                     std::to_string(at_risk) +
                         " backorder promise(s) are past their locked window: their purchase "
                         "order slipped",
                     now, "contact those customers: a new date, another item or a refund");
  } else {
    api.alerts.clear("promises_at_risk", now);
  }
  if (api.engine.storage_degraded()) {
    api.alerts.raise("storage_degraded", "storage_degraded", AlertSeverity::critical,
                     "durable writes are failing: " + api.engine.storage_error() +
                         "; the affected shards refuse facts and holds and retry",
                     now, "free disk space or fix the volume; writes resume by themselves");
  } else {
    api.alerts.clear("storage_degraded", now);
  }
  if (const int64_t open = api.engine.open_stock_exceptions(); open > 0) {
    api.alerts.raise("stock_exceptions", "stock_exceptions", AlertSeverity::warning,
                     std::to_string(open) +
                         " stock exception(s) are open: facts the positions' own history calls "
                         "unlikely (loss spikes, on-hand jumps, stray sales, counts off the model)",
                     now, "work through GET /v1/exceptions: recount, inspect or hold as suggested");
  } else {
    api.alerts.clear("stock_exceptions", now);
  }
  const std::string lag_key = "event_lag";
  const double p95 = event_lag_window.quantile(0.95);
  if (event_lag_window.count() >= kLagSampleMin && p95 > kLagTargetSeconds) {
    api.alerts.raise(lag_key, "event_lag", AlertSeverity::critical,
                     "event lag p95 is " + std::to_string(static_cast<int64_t>(std::lround(p95))) +
                         " s, over the 5-minute target",
                     now, "check the sources' connectors and queues: facts reach stockd late");
  } else if (event_lag_window.count() >= kLagSampleMin || event_lag_window.count() == 0) {
    api.alerts.clear(lag_key, now);
  }
}

}  // namespace stockd
