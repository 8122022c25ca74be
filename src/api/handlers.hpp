// One function per route; each answers through call.respond exactly once. Declared here,
// defined in one file per resource (events, stock, reservations, catalog).
#pragma once

#include <charconv>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/api.hpp"
#include "api/auth.hpp"
#include "core/event.hpp"

namespace stockd {

struct Call {
  HttpRequest request;
  std::vector<std::string> params;                         // the path's {wildcards}, decoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded
  Principal principal;
  Respond respond;

  std::string_view query_value(std::string_view name) const {
    for (const auto& [key, value] : query) {
      if (key == name) return value;
    }
    return {};
  }
  // A whole number in [min, max], `fallback` when absent; nullopt when malformed or out
  // of range (the caller answers with its validation problem).
  std::optional<int64_t> query_integer(std::string_view name, int64_t min, int64_t max,
                                       int64_t fallback) const {
    const std::string_view text = query_value(name);
    if (text.empty()) return fallback;
    int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
      return std::nullopt;
    }
    return value;
  }
};

// Least privilege beyond scopes (api/authorize.cpp): 403 problems naming what the token
// may not do, or nullopt when it may.
std::optional<HttpResponse> forbid_facts(const ApiContext& api, const Principal& principal,
                                         const std::vector<Event>& events);
std::optional<HttpResponse> forbid_channel(const Principal& principal, std::string_view channel);
std::optional<HttpResponse> forbid_location(const Principal& principal, std::string_view location);
std::optional<HttpResponse> forbid_vendor(const Principal& principal, std::string_view vendor);
std::optional<HttpResponse> forbid_kind(const Principal& principal, PrincipalKind kind,
                                        std::string_view what);

// While `channel` is degraded (its sync fails or lags), its degraded view, which sells
// conservatively; null otherwise. Callers point `channel` at it and keep it alive.
std::shared_ptr<const Channel> degraded_channel(const ApiContext& api, const Channel& channel);

void post_events(ApiContext& api, Call call);
void get_stock(ApiContext& api, Call call);
void get_availability(ApiContext& api, Call call);
void post_availability_query(ApiContext& api, Call call);
void post_reservation(ApiContext& api, Call call);
void get_reservation(ApiContext& api, Call call);
void commit_reservation(ApiContext& api, Call call);
void release_reservation(ApiContext& api, Call call);
void post_order(ApiContext& api, Call call);
void get_order(ApiContext& api, Call call);
void cancel_order(ApiContext& api, Call call);
void reroute_order(ApiContext& api, Call call);
void post_order_delivered(ApiContext& api, Call call);
void post_return_route(ApiContext& api, Call call);
void post_purchase_order(ApiContext& api, Call call);
void get_purchase_order(ApiContext& api, Call call);
void put_bundle(ApiContext& api, Call call);
void get_bundle(ApiContext& api, Call call);
void delete_bundle(ApiContext& api, Call call);
void list_bundles(ApiContext& api, Call call);
void put_location(ApiContext& api, Call call);
void get_location(ApiContext& api, Call call);
void delete_location(ApiContext& api, Call call);
void list_locations(ApiContext& api, Call call);
void put_channel(ApiContext& api, Call call);
void get_channel(ApiContext& api, Call call);
void delete_channel(ApiContext& api, Call call);
void list_channels(ApiContext& api, Call call);
void put_source(ApiContext& api, Call call);
void get_source(ApiContext& api, Call call);
void delete_source(ApiContext& api, Call call);
void list_sources(ApiContext& api, Call call);
void post_webhook(ApiContext& api, Call call);
void list_webhooks(ApiContext& api, Call call);
void get_webhook(ApiContext& api, Call call);
void delete_webhook(ApiContext& api, Call call);
void rotate_webhook_secret(ApiContext& api, Call call);
void list_dead_letters(ApiContext& api, Call call);
void replay_dead_letters(ApiContext& api, Call call);
void list_alerts(ApiContext& api, Call call);
void get_sync(ApiContext& api, Call call);
void get_metrics(ApiContext& api, Call call);
void get_stream(ApiContext& api, Call call);
void get_sku_ledger(ApiContext& api, Call call);
void get_dashboard(ApiContext& api, Call call);
void get_kpis(ApiContext& api, Call call);
void post_counts(ApiContext& api, Call call);
void get_count(ApiContext& api, Call call);
void get_count_schedule(ApiContext& api, Call call);
void get_reconciliation(ApiContext& api, Call call);
void put_item(ApiContext& api, Call call);
void get_item(ApiContext& api, Call call);
void post_asn(ApiContext& api, Call call);
void get_asn(ApiContext& api, Call call);
void get_vendor_scorecard(ApiContext& api, Call call);
void get_forecast(ApiContext& api, Call call);
void post_import(ApiContext& api, Call call);
void get_import(ApiContext& api, Call call);
void post_reconcile(ApiContext& api, Call call);
void get_positions_export(ApiContext& api, Call call);
void get_replenishment(ApiContext& api, Call call);
void post_promotion(ApiContext& api, Call call);
void list_promotions(ApiContext& api, Call call);
void get_promotion(ApiContext& api, Call call);
void delete_promotion(ApiContext& api, Call call);
void list_exceptions(ApiContext& api, Call call);
void resolve_exception(ApiContext& api, Call call);
void list_tokens(ApiContext& api, Call call);
void post_token(ApiContext& api, Call call);
void rotate_token(ApiContext& api, Call call);
void delete_token(ApiContext& api, Call call);
void get_audit(ApiContext& api, Call call);
void get_audit_verify(ApiContext& api, Call call);
struct StockView;
// A SKU's positions as recorded by `as_of`, rebuilt from the ledger (api/audit_handler.cpp).
std::optional<StockView> stock_as_of(ApiContext& api, const std::string& sku, Timestamp as_of,
                                     std::string* error);
void get_scorecard(ApiContext& api, Call call);

class LiveFeed;
class Store;
struct LedgerRecord;
// 503 when the server runs without direct ledger access (api.store), nullopt otherwise.
std::optional<HttpResponse> ledger_unavailable(const ApiContext& api);
// Every ledger record in (stream, sequence) order, decoded; false with `error` set when
// the store fails or a record does not decode.
bool for_each_decoded_ledger_record(Store& store,
                                    const std::function<void(const LedgerRecord&)>& visit,
                                    std::string* error);
// Every applied receipt fact whose reference is one of `references`, from the ledger
// (api/vendors_handler.cpp).
struct VendorReceipt;
bool receipts_naming(Store& store, const std::set<std::string, std::less<>>& references,
                     std::vector<VendorReceipt>& out, std::string* error);
// Raises and clears the inventory alerts (stale locations, negative on-hand, event lag
// over target); `event_lag_window` holds the lags observed since the last call.
void evaluate_health_alerts(ApiContext& api, const Histogram& event_lag_window);
// The dashboard's feed: snapshots from `api`, availability changes from the outbox.
std::unique_ptr<LiveFeed> make_live_feed(ApiContext& api, Store& store);

}  // namespace stockd
