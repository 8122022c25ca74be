// Demand: GET /v1/forecast/{sku} (per location, with an interval and the promotions in
// the horizon), GET /v1/replenishment (suggested purchases by vendor, explained), and
// promotions (POST/GET/DELETE /v1/promotions) that raise forecasts and dynamic buffers.
#include <fmt/format.h>
#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <map>
#include <random>

#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "core/forecast.hpp"
#include "core/ids.hpp"
#include "core/velocity.hpp"
#include "core/vendor.hpp"
#include "engine/store.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

constexpr int64_t kHorizonDaysMax = 90;
constexpr int64_t kMicrosPerDay = 86'400'000'000;

double rounded(double value, double scale = 100) { return std::round(value * scale) / scale; }

Timestamp day_start(int32_t day) { return timestamp_from_micros(day * kMicrosPerDay); }

std::optional<double> query_number(const Call& call, std::string_view name, double min, double max,
                                   double fallback) {
  const std::string text(call.query_value(name));
  if (text.empty()) return fallback;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value) || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

Forecast forecast_at(const Catalog& catalog, const std::string& sku, const std::string& location,
                     const DemandModel& model, Timestamp now, int32_t horizon_days) {
  ForecastRequest request;
  request.now = now;
  request.horizon_days = horizon_days;
  if (!catalog.promotions().empty()) {
    request.factor = [&catalog, &sku, &location](int32_t day) {
      return catalog.location_demand_factor(sku, location, day_start(day), day_start(day + 1));
    };
  }
  return forecast_demand(model, request);
}

json::object forecast_json(const Forecast& f, const std::string& location, const Position& position,
                           Timestamp now) {
  json::array daily;
  const int32_t today = day_number(now);
  for (size_t i = 0; i < f.daily_units.size(); ++i) {
    daily.push_back(json::object{
        {"date", format_rfc3339(day_start(today + static_cast<int32_t>(i))).substr(0, 10)},
        {"units", rounded(f.daily_units[i])}});
  }
  json::object out{{"location", location},
                   {"method", forecast_method_name(f.method)},
                   {"demand_pattern", demand_pattern_name(f.pattern)},
                   {"velocity_class", velocity_class_name(f.velocity)},
                   {"daily_rate", rounded(f.daily_rate, 1000)},
                   {"daily_sigma", rounded(f.daily_sigma, 1000)},
                   {"velocity_per_day", rounded(sales_rate_per_day(position, now), 1000)},
                   {"forecast_units", rounded(f.mean_units)},
                   {"interval", json::object{{"level", 0.9},
                                             {"low", rounded(f.low_units)},
                                             {"high", rounded(f.high_units)}}},
                   {"promotion_uplift_units", rounded(f.uplift_units)},
                   {"history_days", f.history_days},
                   {"demand_days", f.demand_days},
                   {"average_interval_days", rounded(f.average_interval_days)},
                   {"cv_squared", rounded(f.cv_squared, 1000)},
                   {"daily", std::move(daily)}};
  out["days_since_demand"] =
      f.days_since_demand >= 0 ? json::value(f.days_since_demand) : json::value(nullptr);
  return out;
}

json::object promotion_json(const Promotion& promotion, Timestamp now) {
  json::object out{{"id", promotion.id},
                   {"channel", promotion.channel},
                   {"from", format_rfc3339(promotion.from)},
                   {"to", format_rfc3339(promotion.to)},
                   {"expected_uplift", promotion.expected_uplift},
                   {"active", promotion.from <= now && now < promotion.to}};
  out["sku"] = promotion.sku.empty() ? json::value(nullptr) : json::value(promotion.sku);
  out["all"] = promotion.sku.empty();
  return out;
}

HttpResponse promotion_refusal(const ConfigCheck& check) {
  switch (check.error) {
    case ConfigError::unknown_channel:
      return validation_problem("channel", "no channel with this id", "unknown-channel",
                                "Unknown channel");
    case ConfigError::invalid_window:
      return validation_problem("to", "the promotion must end after it starts");
    case ConfigError::value_out_of_range:
      return validation_problem("expected_uplift",
                                "expected_uplift is a fraction above 0 and at most 10 "
                                "(0.3 = 30 % more demand)");
    case ConfigError::invalid_id:
      return validation_problem(check.field,
                                check.field + " is 1-128 characters of [A-Za-z0-9._:-]");
    case ConfigError::not_found:
      return problem(404, "not-found", "Not found", "no promotion with this id");
    case ConfigError::unavailable:
      return overloaded_problem();
    default:
      return validation_problem(check.field, std::string(config_error_name(check.error)));
  }
}

// Replenishment inputs: who supplies each SKU (the vendor of its latest PO, at the
// location if there is one), and each vendor's lead time from its scorecard.
struct Supply {
  std::map<std::string, std::pair<Timestamp, std::string>> by_position;  // sku\0location
  std::map<std::string, std::pair<Timestamp, std::string>> by_sku;
  std::map<std::string, std::vector<PurchaseOrder>> pos_by_vendor;

  std::string vendor_of(const std::string& sku, const std::string& location) const {
    if (const auto found = by_position.find(sku + '\0' + location); found != by_position.end()) {
      return found->second.second;
    }
    if (const auto found = by_sku.find(sku); found != by_sku.end()) return found->second.second;
    return "";
  }
};

void note_latest(std::map<std::string, std::pair<Timestamp, std::string>>& map,
                 const std::string& key, const PurchaseOrder& po) {
  auto [it, inserted] = map.try_emplace(key, po.created_at, po.vendor);
  if (!inserted && it->second.first < po.created_at) it->second = {po.created_at, po.vendor};
}

struct VendorLeadTime {
  LeadTime lead;
  bool from_scorecard = false;
  uint64_t received_orders = 0;
};

}  // namespace

void get_forecast(ApiContext& api, Call call) {
  const std::string sku = call.params.at(0);
  if (!is_valid_sku(sku)) {
    return call.respond(validation_problem("sku", "a SKU is 1-128 characters of [A-Za-z0-9._:-]"));
  }
  std::string location(call.query_value("location"));
  std::shared_ptr<const Catalog> catalog = api.engine.catalog();
  if (!location.empty() && catalog->find_location(location) == nullptr) {
    return call.respond(validation_problem("location", "location names a registered location",
                                           "unknown-location", "Unknown location"));
  }
  const std::optional<int64_t> horizon = call.query_integer("horizon_days", 1, kHorizonDaysMax, 7);
  if (!horizon) return call.respond(validation_problem("horizon_days", "horizon_days is 1..90"));
  const Timestamp now = api.clock.now();
  api.engine.get_stock(sku, [catalog = std::move(catalog), location = std::move(location), sku,
                             horizon_days = static_cast<int32_t>(*horizon), now,
                             respond = std::move(call.respond)](StockView view) {
    if (view.overloaded) return respond(overloaded_problem());
    json::array locations;
    double total_mean = 0;
    double total_variance = 0;
    double total_uplift = 0;
    const auto add = [&](const std::string& at, const Position& position) {
      const Forecast f = forecast_at(*catalog, sku, at, position.demand, now, horizon_days);
      total_mean += f.mean_units;
      total_uplift += f.uplift_units;
      const double sigma = (f.high_units - f.mean_units) / 1.6449;
      total_variance += sigma * sigma;
      locations.push_back(forecast_json(f, at, position, now));
    };
    if (!location.empty()) {
      const auto held =
          std::find_if(view.positions.begin(), view.positions.end(),
                       [&](const PositionView& each) { return each.location == location; });
      add(location, held != view.positions.end() ? held->position : Position{});
    } else {
      for (const PositionView& each : view.positions) add(each.location, each.position);
    }
    const double total_sigma = std::sqrt(total_variance);
    respond(json_response(
        200, json::object{
                 {"sku", sku},
                 {"as_of", format_rfc3339(now)},
                 {"horizon_days", horizon_days},
                 {"forecast_units", rounded(total_mean)},
                 {"interval",
                  json::object{{"level", 0.9},
                               {"low", rounded(std::max(0.0, total_mean - 1.6449 * total_sigma))},
                               {"high", rounded(total_mean + 1.6449 * total_sigma)}}},
                 {"promotion_uplift_units", rounded(total_uplift)},
                 {"locations", std::move(locations)}}));
  });
}

void get_replenishment(ApiContext& api, Call call) {
  const std::optional<double> service_level = query_number(call, "service_level", 0.5, 0.999, 0.95);
  if (!service_level) {
    return call.respond(validation_problem("service_level", "service_level is 0.5..0.999"));
  }
  const std::optional<int64_t> review_days = call.query_integer("review_days", 0, 90, 7);
  if (!review_days) return call.respond(validation_problem("review_days", "review_days is 0..90"));
  const std::optional<int64_t> default_lead_days =
      call.query_integer("default_lead_time_days", 1, 365, 14);
  if (!default_lead_days) {
    return call.respond(
        validation_problem("default_lead_time_days", "default_lead_time_days is 1..365"));
  }
  const std::string location_filter(call.query_value("location"));
  const std::string vendor_filter(call.query_value("vendor"));
  std::shared_ptr<const Catalog> catalog = api.engine.catalog();
  if (!location_filter.empty() && catalog->find_location(location_filter) == nullptr) {
    return call.respond(validation_problem("location", "location names a registered location",
                                           "unknown-location", "Unknown location"));
  }
  if (!vendor_filter.empty()) {
    if (!is_valid_id(vendor_filter)) {
      return call.respond(
          validation_problem("vendor", "a vendor id is 1-128 characters of [A-Za-z0-9._:-]"));
    }
    if (auto refusal = forbid_vendor(call.principal, vendor_filter)) {
      return call.respond(std::move(*refusal));
    }
  }
  if (auto unavailable = ledger_unavailable(api)) return call.respond(std::move(*unavailable));
  Store& store = *api.store;
  const Timestamp now = api.clock.now();

  Supply supply;
  std::set<std::string, std::less<>> references;
  Status status = store.for_each_purchase_order([&](const PurchaseOrder& po) {
    note_latest(supply.by_position, po.sku + '\0' + po.location, po);
    note_latest(supply.by_sku, po.sku, po);
    supply.pos_by_vendor[po.vendor].push_back(po);
    references.insert(po.id);
  });
  if (!status.is_ok()) {
    return call.respond(problem(500, "storage-error", "Storage error", status.message()));
  }
  std::vector<VendorReceipt> receipts;
  std::string error;
  if (!references.empty() && !receipts_naming(store, references, receipts, &error)) {
    return call.respond(problem(500, "storage-error", "Storage error", error));
  }
  std::map<std::string, VendorLeadTime> lead_times;
  const auto lead_time_of = [&](const std::string& vendor) -> const VendorLeadTime& {
    auto [it, inserted] = lead_times.try_emplace(vendor);
    if (!inserted) return it->second;
    it->second.lead = LeadTime{static_cast<double>(*default_lead_days), 0};
    const auto pos = supply.pos_by_vendor.find(vendor);
    if (vendor.empty() || pos == supply.pos_by_vendor.end()) return it->second;
    const VendorScorecard card =
        score_vendor(vendor, pos->second, api.engine.asns_of_vendor(vendor), receipts, now);
    it->second.received_orders = card.purchase_orders_received;
    if (card.lead_time_days_mean) {
      it->second.lead = LeadTime{*card.lead_time_days_mean, card.lead_time_days_stddev.value_or(0)};
      it->second.from_scorecard = true;
    }
    return it->second;
  };

  struct Line {
    std::string vendor;
    json::object body;
    int64_t units = 0;
  };
  std::vector<Line> lines;
  uint64_t considered = 0;
  status = store.for_each_position([&](std::string_view sku_view, std::string_view location_view,
                                       const Position& position) {
    if (!location_filter.empty() && location_view != location_filter) return;
    if (position.demand.demand_days == 0 && position.demand.open_day_units <= 0) return;
    const std::string sku(sku_view);
    const std::string location(location_view);
    const std::string vendor = supply.vendor_of(sku, location);
    if (!vendor_filter.empty() && vendor != vendor_filter) return;
    ++considered;
    const VendorLeadTime& lead = lead_time_of(vendor);
    const double cover_days = lead.lead.mean_days + static_cast<double>(*review_days);
    const DemandNow f = demand_now(position.demand, now);
    if (f.velocity == VelocityClass::dormant || f.daily_rate <= 0) return;
    const double promotion_factor = catalog->location_demand_factor(
        sku, location, now,
        now + std::chrono::microseconds(static_cast<int64_t>(cover_days * kMicrosPerDay)));
    const double daily_rate = f.daily_rate * promotion_factor;
    const StockTargets targets =
        stock_targets(daily_rate, f.daily_sigma * promotion_factor, lead.lead, *service_level,
                      static_cast<double>(*review_days));
    const int64_t promised = position.reserved + position.allocated;
    const int64_t inventory_position =
        position.on_hand + position.in_transit + position.incoming - promised;
    if (static_cast<double>(inventory_position) > targets.reorder_point) return;
    const int64_t units = static_cast<int64_t>(
        std::ceil(targets.order_up_to - static_cast<double>(inventory_position) - 1e-9));
    if (units <= 0) return;
    std::string why = fmt::format(
        "inventory position {} (on hand {} + in transit {} + on order {} − promised {}) is at or "
        "below the reorder point {:.1f} = {:.2f}/day × {:.1f} days' lead time + safety stock "
        "{:.1f} (z {:.2f} for {:.1f} % service, demand σ {:.2f}/day, lead time ±{:.1f} days{}); "
        "ordering {} brings it to {:.1f}, enough for {:.1f} days of lead time and review",
        inventory_position, position.on_hand, position.in_transit, position.incoming, promised,
        targets.reorder_point, daily_rate, lead.lead.mean_days, targets.safety_stock, targets.z,
        *service_level * 100, f.daily_sigma * promotion_factor, lead.lead.stddev_days,
        lead.from_scorecard ? ", from the vendor's scorecard" : ", assumed: no receipts on record",
        units, targets.order_up_to, cover_days);
    if (promotion_factor > 1.0) {
      why += fmt::format("; promotions raise demand in that time by {:.0f} %",
                         (promotion_factor - 1) * 100);
    }
    lines.push_back({vendor,
                     json::object{{"sku", sku},
                                  {"location", location},
                                  {"suggested_units", units},
                                  {"inventory_position", inventory_position},
                                  {"on_hand", position.on_hand},
                                  {"in_transit", position.in_transit},
                                  {"on_order", position.incoming},
                                  {"promised", promised},
                                  {"daily_rate", rounded(daily_rate, 1000)},
                                  {"daily_sigma", rounded(f.daily_sigma * promotion_factor, 1000)},
                                  {"method", forecast_method_name(f.method)},
                                  {"velocity_class", velocity_class_name(f.velocity)},
                                  {"promotion_factor", rounded(promotion_factor, 1000)},
                                  {"safety_stock", rounded(targets.safety_stock)},
                                  {"reorder_point", rounded(targets.reorder_point)},
                                  {"order_up_to", rounded(targets.order_up_to)},
                                  {"why", std::move(why)}},
                     units});
  });
  if (!status.is_ok()) {
    return call.respond(problem(500, "storage-error", "Storage error", status.message()));
  }
  std::map<std::string, std::vector<Line*>> by_vendor;
  for (Line& line : lines) by_vendor[line.vendor].push_back(&line);
  json::array vendors;
  for (auto& [vendor, vendor_lines] : by_vendor) {
    std::sort(vendor_lines.begin(), vendor_lines.end(),
              [](const Line* a, const Line* b) { return a->units > b->units; });
    const VendorLeadTime& lead = lead_time_of(vendor);
    json::array items;
    int64_t total_units = 0;
    for (Line* line : vendor_lines) {
      total_units += line->units;
      items.push_back(std::move(line->body));
    }
    json::object entry{
        {"lead_time_days", json::object{{"mean", rounded(lead.lead.mean_days)},
                                        {"stddev", rounded(lead.lead.stddev_days)},
                                        {"source", lead.from_scorecard ? "scorecard" : "default"},
                                        {"received_purchase_orders", lead.received_orders}}},
        {"suggested_units", total_units},
        {"lines", std::move(items)}};
    entry["vendor"] = vendor.empty() ? json::value(nullptr) : json::value(vendor);
    vendors.push_back(std::move(entry));
  }
  call.respond(json_response(200, json::object{{"as_of", format_rfc3339(now)},
                                               {"service_level", *service_level},
                                               {"review_days", *review_days},
                                               {"positions_considered", considered},
                                               {"vendors", std::move(vendors)}}));
}

void post_promotion(ApiContext& api, Call call) {
  HttpResponse error;
  const std::optional<json::value> body = parse_object_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  ObjectReader reader(body->as_object());
  Promotion promotion;
  std::string from;
  std::string to;
  bool all = false;
  if (!reader.only({"id", "sku", "all", "channel", "from", "to", "expected_uplift"}) ||
      !reader.text("id", promotion.id, false, 128) ||
      !reader.text("sku", promotion.sku, false, 128) || !reader.boolean("all", all) ||
      !reader.text("channel", promotion.channel, true, 128) ||
      !reader.text("from", from, true, 64) || !reader.text("to", to, true, 64) ||
      !reader.number("expected_uplift", promotion.expected_uplift, true)) {
    return call.respond(reader.error());
  }
  if (promotion.sku.empty() == !all) {
    return call.respond(
        validation_problem("sku", "name one SKU in sku, or set all: true for every SKU"));
  }
  const std::optional<Timestamp> starts = parse_rfc3339(from);
  if (!starts) return call.respond(validation_problem("from", "an RFC 3339 time"));
  const std::optional<Timestamp> ends = parse_rfc3339(to);
  if (!ends) return call.respond(validation_problem("to", "an RFC 3339 time"));
  promotion.from = *starts;
  promotion.to = *ends;
  if (auto refusal = forbid_channel(call.principal, promotion.channel)) {
    return call.respond(std::move(*refusal));
  }
  const bool named = !promotion.id.empty();
  if (!named) {
    std::random_device random;
    promotion.id = fmt::format("promo-{:08x}{:08x}", random(), random());
  }
  const std::shared_ptr<const Catalog> catalog = api.engine.catalog();
  const Timestamp now = api.clock.now();
  if (const auto existing = catalog->promotions().find(promotion.id);
      existing != catalog->promotions().end()) {
    if (existing->second == promotion) {
      return call.respond(json_response(200, promotion_json(existing->second, now)));
    }
    return call.respond(problem(409, "promotion-exists", "Promotion exists",
                                "a promotion with this id exists with other content; delete it "
                                "first or use another id"));
  }
  const ConfigCheck check = api.engine.put_promotion(promotion);
  if (!check.ok()) return call.respond(promotion_refusal(check));
  HttpResponse response = json_response(201, promotion_json(promotion, now));
  response.set_header("Location", "/v1/promotions/" + promotion.id);
  call.respond(std::move(response));
}

void list_promotions(ApiContext& api, Call call) {
  const Timestamp now = api.clock.now();
  json::array items;
  for (const auto& [id, promotion] : api.engine.catalog()->promotions()) {
    items.push_back(promotion_json(promotion, now));
  }
  call.respond(json_response(200, json::object{{"promotions", std::move(items)}}));
}

void get_promotion(ApiContext& api, Call call) {
  const std::shared_ptr<const Catalog> catalog = api.engine.catalog();
  const auto found = catalog->promotions().find(call.params.at(0));
  if (found == catalog->promotions().end()) {
    return call.respond(problem(404, "not-found", "Not found", "no promotion with this id"));
  }
  call.respond(json_response(200, promotion_json(found->second, api.clock.now())));
}

void delete_promotion(ApiContext& api, Call call) {
  const std::shared_ptr<const Catalog> catalog = api.engine.catalog();
  const auto found = catalog->promotions().find(call.params.at(0));
  if (found != catalog->promotions().end()) {
    if (auto refusal = forbid_channel(call.principal, found->second.channel)) {
      return call.respond(std::move(*refusal));
    }
  }
  const ConfigCheck check = api.engine.remove_config(ConfigKind::promotion, call.params.at(0));
  if (!check.ok()) return call.respond(promotion_refusal(check));
  HttpResponse response;
  response.status = 204;
  call.respond(std::move(response));
}

}  // namespace stockd
