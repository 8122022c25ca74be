#include "core/forecast.hpp"

#include <algorithm>
#include <cmath>

#include "base/assert.hpp"

namespace stockd {
namespace {

// Closing more empty days than this one by one gains nothing: every model has decayed
// to its floor. The rest are folded in at once.
constexpr int32_t kEmptyDaysLooped = 56;
constexpr double kSeasonFloor = 0.05;
constexpr double kSeasonCeiling = 7.0;

double square(double value) { return value * value; }

void smooth(double& state, double value, double alpha) { state += alpha * (value - state); }

double sba_rate(const DemandModel& model) {
  if (model.demand_days == 0) return 0;
  const double waited = static_cast<double>(model.days_since_demand) + 1.0;
  return (1.0 - kDemandAlpha / 2.0) * model.size / std::max(model.interval, waited);
}

void normalise_season(DemandModel& model) {
  double total = 0;
  for (const double index : model.season) total += index;
  STOCKD_ASSERT(total > 0);
  for (double& index : model.season) index *= 7.0 / total;
}

void close_day(DemandModel& model, int32_t day, double units) {
  STOCKD_ASSERT(units >= 0);
  if (model.demand_days == 0) {
    model.days_closed += 1;
    if (units == 0) return;
    model.level = units;
    model.size = units;
    model.size_sq = square(units);
    model.interval = 1;  // a placeholder until the second day with demand
    model.demand_days = 1;
    model.days_since_demand = 0;
    return;
  }
  const int weekday = weekday_of(day);
  // Each model's one-day-ahead forecast for this day, before it learns from it.
  smooth(model.error_sq_flat, square(units - model.level), kErrorAlpha);
  smooth(model.error_sq_weekly, square(units - model.level * model.season[weekday]), kErrorAlpha);
  smooth(model.error_sq_sba, square(units - sba_rate(model)), kErrorAlpha);

  const double level_before = model.level;
  smooth(model.level, units / std::max(model.season[weekday], kSeasonFloor), kDemandAlpha);
  if (level_before > 1e-9) {
    smooth(model.season[weekday], units / level_before, kSeasonGamma);
    model.season[weekday] = std::clamp(model.season[weekday], kSeasonFloor, kSeasonCeiling);
    normalise_season(model);
  }
  if (units > 0) {
    const double gap_days = static_cast<double>(model.days_since_demand) + 1.0;
    if (model.demand_days == 1) {
      model.interval = gap_days;
    } else {
      smooth(model.interval, gap_days, kDemandAlpha);
    }
    smooth(model.size, units, kDemandAlpha);
    smooth(model.size_sq, square(units), kDemandAlpha);
    model.demand_days += 1;
    model.days_since_demand = 0;
  } else {
    model.days_since_demand += 1;
  }
  model.days_closed += 1;
  STOCKD_ASSERT(std::isfinite(model.level) && model.level >= 0);
}

VelocityClass classify(double daily_rate, int32_t days_since_demand, bool any_demand,
                       const VelocityThresholds& thresholds) {
  if (!any_demand || days_since_demand >= thresholds.dormant_days) return VelocityClass::dormant;
  if (daily_rate >= thresholds.fast_per_day) return VelocityClass::fast;
  if (daily_rate >= thresholds.medium_per_day) return VelocityClass::medium;
  return VelocityClass::slow;
}

}  // namespace

int32_t day_number(Timestamp at) {
  constexpr int64_t kMicrosPerDay = 86'400'000'000;
  const int64_t micros = micros_of(at);
  const int64_t day = micros >= 0 ? micros / kMicrosPerDay : -((-micros - 1) / kMicrosPerDay) - 1;
  return static_cast<int32_t>(day);
}

int weekday_of(int32_t day) {
  const int weekday = static_cast<int>((static_cast<int64_t>(day) + 3) % 7);  // 1970-01-01: Thu
  return weekday < 0 ? weekday + 7 : weekday;
}

void close_days_before(DemandModel& model, int32_t day) {
  if (model.open_day == 0 || day <= model.open_day) return;
  close_day(model, model.open_day, static_cast<double>(std::max<int64_t>(0, model.open_day_units)));
  const int32_t empty_days = day - model.open_day - 1;
  const int32_t looped = std::min(empty_days, kEmptyDaysLooped);
  for (int32_t i = 0; i < looped; ++i) close_day(model, model.open_day + 1 + i, 0);
  if (const int32_t rest = empty_days - looped; rest > 0) {
    const double keep = std::pow(1.0 - kDemandAlpha, rest);
    const double keep_error = std::pow(1.0 - kErrorAlpha, rest);
    model.level *= keep;
    model.error_sq_flat *= keep_error;
    model.error_sq_weekly *= keep_error;
    model.error_sq_sba *= keep_error;
    model.days_closed += rest;
    if (model.demand_days > 0) model.days_since_demand += rest;
  }
  model.open_day = day;
  model.open_day_units = 0;
}

void observe_demand(DemandModel& model, int64_t units, Timestamp at) {
  if (units == 0) return;
  const int32_t day = day_number(at);
  if (model.open_day == 0) {
    if (units < 0) return;  // a return before any demand has nothing to net against
    model.open_day = day;
    model.open_day_units = units;
    return;
  }
  close_days_before(model, day);  // a late demand (day < open_day) counts on the open day
  model.open_day_units += units;
}

void observe_loss(DemandModel& model, int64_t units) {
  STOCKD_ASSERT(units > 0);
  const double clipped = std::min(static_cast<double>(units), loss_spike_threshold(model));
  model.loss_size =
      model.losses == 0 ? clipped : model.loss_size + 0.2 * (clipped - model.loss_size);
  model.losses += 1;
}

double loss_spike_threshold(const DemandModel& model) {
  const double typical = model.losses >= 3 ? model.loss_size : 2.0;
  return std::max(static_cast<double>(kLossSpikeMinUnits), kLossSpikeFactor * typical);
}

bool has_history(const DemandModel& model) { return model.open_day != 0 || model.losses != 0; }

std::string_view forecast_method_name(ForecastMethod method) {
  switch (method) {
    case ForecastMethod::none:
      return "none";
    case ForecastMethod::flat:
      return "ewma";
    case ForecastMethod::weekly:
      return "ewma_weekly";
    case ForecastMethod::sba:
      return "sba";
  }
  return "none";
}

std::string_view demand_pattern_name(DemandPattern pattern) {
  switch (pattern) {
    case DemandPattern::none:
      return "none";
    case DemandPattern::smooth:
      return "smooth";
    case DemandPattern::erratic:
      return "erratic";
    case DemandPattern::intermittent:
      return "intermittent";
    case DemandPattern::lumpy:
      return "lumpy";
  }
  return "none";
}

std::string_view velocity_class_name(VelocityClass velocity) {
  switch (velocity) {
    case VelocityClass::dormant:
      return "dormant";
    case VelocityClass::slow:
      return "slow";
    case VelocityClass::medium:
      return "medium";
    case VelocityClass::fast:
      return "fast";
  }
  return "dormant";
}

std::optional<VelocityClass> velocity_class_from_name(std::string_view name) {
  for (const VelocityClass velocity :
       {VelocityClass::dormant, VelocityClass::slow, VelocityClass::medium, VelocityClass::fast}) {
    if (velocity_class_name(velocity) == name) return velocity;
  }
  return std::nullopt;
}

namespace {

// The model with every day before `today` closed: on `scratch` when there are any, the
// model itself (read in place: the usual case for anything that sells) otherwise.
const DemandModel& closed_through(const DemandModel& model, int32_t today, DemandModel& scratch) {
  if ((model.open_day == 0 || model.open_day >= today) &&
      !(model.demand_days == 0 && model.open_day_units > 0)) {
    return model;
  }
  scratch = model;
  close_days_before(scratch, today);
  // Nothing closed yet: today's units so far are the only history there is.
  if (scratch.demand_days == 0 && scratch.open_day_units > 0) {
    close_days_before(scratch, scratch.open_day + 1);
  }
  return scratch;
}

// Method, rate, error and class of a model whose past days are closed.
DemandNow evaluate(const DemandModel& current, const VelocityThresholds& thresholds) {
  DemandNow now;
  if (current.demand_days == 0) return now;  // method none, dormant
  double error_sq = current.error_sq_flat;
  if (current.demand_days >= 2 && current.interval > kIntermittentInterval) {
    now.method = ForecastMethod::sba;
    now.daily_rate = sba_rate(current);
    error_sq = current.error_sq_sba;
  } else if (current.days_closed >= kWeeklyMinDays &&
             current.error_sq_weekly < kWeeklyErrorRatio * current.error_sq_flat) {
    now.method = ForecastMethod::weekly;
    now.daily_rate = current.level;
    error_sq = current.error_sq_weekly;
  } else {
    now.method = ForecastMethod::flat;
    now.daily_rate = current.level;
  }
  // The error is floored at Poisson's variance: a short history must not look certain.
  now.daily_sigma = std::sqrt(std::max(error_sq, now.daily_rate));
  now.velocity = classify(now.daily_rate, current.days_since_demand, true, thresholds);
  return now;
}

}  // namespace

DemandNow demand_now(const DemandModel& model, Timestamp now,
                     const VelocityThresholds& thresholds) {
  if (model.open_day == 0) return DemandNow{};
  DemandModel scratch;
  return evaluate(closed_through(model, day_number(now), scratch), thresholds);
}

Forecast forecast_demand(const DemandModel& model, const ForecastRequest& request,
                         const VelocityThresholds& thresholds) {
  STOCKD_ASSERT(request.horizon_days >= 0);
  Forecast out;
  const int32_t today = day_number(request.now);
  DemandModel scratch;
  const DemandModel& current = closed_through(model, today, scratch);
  out.history_days = current.days_closed;
  out.demand_days = current.demand_days;
  if (current.demand_days == 0) return out;  // method none, dormant

  out.days_since_demand = current.days_since_demand;
  out.average_interval_days = current.demand_days >= 2 ? current.interval : 0;
  out.cv_squared = current.size > 0 ? std::max(0.0, current.size_sq - square(current.size)) /
                                          square(current.size)
                                    : 0;
  if (current.demand_days >= 2) {
    const bool intermittent = current.interval > kIntermittentInterval;
    const bool erratic = out.cv_squared > kErraticCv2;
    out.pattern = intermittent ? (erratic ? DemandPattern::lumpy : DemandPattern::intermittent)
                               : (erratic ? DemandPattern::erratic : DemandPattern::smooth);
  }
  const DemandNow rate = evaluate(current, thresholds);
  out.method = rate.method;
  out.daily_rate = rate.daily_rate;
  out.daily_sigma = rate.daily_sigma;
  out.velocity = rate.velocity;

  double base_units = 0;
  for (int32_t offset = 0; offset < request.horizon_days; ++offset) {
    const int32_t day = today + offset;
    const double units = out.method == ForecastMethod::weekly
                             ? current.level * current.season[weekday_of(day)]
                             : out.daily_rate;
    const double factor = request.factor ? std::max(0.0, request.factor(day)) : 1.0;
    base_units += units;
    out.mean_units += units * factor;
    out.daily_units.push_back(units * factor);
  }
  out.uplift_units = out.mean_units - base_units;
  const double scale = base_units > 0 ? out.mean_units / base_units : 1.0;
  const double sigma_units =
      out.daily_sigma * std::sqrt(static_cast<double>(request.horizon_days)) * scale;
  out.low_units = std::max(0.0, out.mean_units - request.interval_z * sigma_units);
  out.high_units = out.mean_units + request.interval_z * sigma_units;
  return out;
}

VelocityClass velocity_class(const DemandModel& model, Timestamp now,
                             const VelocityThresholds& thresholds) {
  return demand_now(model, now, thresholds).velocity;
}

double normal_quantile(double probability) {
  STOCKD_ASSERT(probability > 0 && probability < 1);
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  const auto tail = [&](double p) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  };
  if (probability < kLow) return tail(probability);
  if (probability > 1 - kLow) return -tail(1 - probability);
  const double q = probability - 0.5;
  const double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

StockTargets stock_targets(double daily_rate, double daily_sigma, LeadTime lead_time,
                           double service_level, double review_days) {
  STOCKD_ASSERT(daily_rate >= 0 && daily_sigma >= 0 && review_days >= 0);
  StockTargets targets;
  targets.z = normal_quantile(service_level);
  const double lead_days = std::max(0.0, lead_time.mean_days);
  const double lead_sigma = std::max(0.0, lead_time.stddev_days);
  const auto buffer = [&](double days) {
    return std::max(0.0, targets.z) *
           std::sqrt(days * square(daily_sigma) + square(daily_rate) * square(lead_sigma));
  };
  targets.safety_stock = buffer(lead_days);
  targets.reorder_point = daily_rate * lead_days + targets.safety_stock;
  targets.order_up_to = daily_rate * (lead_days + review_days) + buffer(lead_days + review_days);
  return targets;
}

}  // namespace stockd
