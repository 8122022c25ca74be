// Short-horizon demand model of one position (SKU × location), kept current on every
// sale, shipment and return in O(1), and the forecasts, velocity classes, safety stock
// and reorder points derived from it. Pure: `now` and every input are passed in.
//
// Demand is counted per UTC day: units sold or shipped minus units returned (a day's
// net is floored at zero). A day "closes" when the first demand of a later day
// arrives, or when a forecast is asked for; closing folds the day into three models:
//
//   flat     level_t = level + α (x_t / s_dow − level)       exponentially weighted
//   weekly   level × s_dow, s_dow ← s_dow + γ (x_t / level − s_dow), Σ s = 7
//   sba      Croston's method with the Syntetos–Boylan correction:
//            size ← size + α (x − size), interval ← interval + α (q − interval) on
//            days with demand (q = days since the previous one);
//            rate = (1 − α/2) · size / max(interval, days since the last demand + 1)
//
// and into each model's smoothed squared one-day-ahead error. The forecast uses sba
// when demand is intermittent (average interval > 1.32 days), weekly when the history
// holds at least four weeks and weekly's error is clearly lower than flat's, and flat
// otherwise. A demand that arrives for a day already closed counts on the open day.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "base/time.hpp"

namespace stockd {

inline constexpr double kDemandAlpha = 0.1;            // level, size and interval smoothing
inline constexpr double kSeasonGamma = 0.15;           // weekly index smoothing
inline constexpr double kErrorAlpha = 0.05;            // squared-error smoothing
inline constexpr double kIntermittentInterval = 1.32;  // Syntetos–Boylan ADI cut-off
inline constexpr double kErraticCv2 = 0.49;            // Syntetos–Boylan CV² cut-off
inline constexpr int32_t kWeeklyMinDays = 28;
inline constexpr double kWeeklyErrorRatio = 0.9;  // weekly must beat flat's error by 10 %

struct DemandModel {
  int32_t open_day = 0;           // UTC day number of the open day; 0 = no demand yet
  int64_t open_day_units = 0;     // net units demanded on the open day so far
  int32_t days_closed = 0;        // history length: closed days since the first demand
  int32_t demand_days = 0;        // closed days with demand
  int32_t days_since_demand = 0;  // closed days since the last one with demand
  double level = 0;               // smoothed daily demand (deseasonalised)
  double size = 0;                // smoothed demand on days with demand
  double size_sq = 0;             // ... and of its square (for the CV²)
  double interval = 0;            // smoothed days between days with demand
  double error_sq_flat = 0;       // smoothed squared one-day-ahead errors, per model
  double error_sq_weekly = 0;
  double error_sq_sba = 0;
  std::array<double, 7> season{1, 1, 1, 1, 1, 1, 1};  // Monday first; mean 1
  // Losses (shrink, damage, downward adjustments): how many, and their smoothed size
  // with spikes clipped at the spike threshold so one spike does not hide the next.
  int32_t losses = 0;
  double loss_size = 0;
  friend bool operator==(const DemandModel&, const DemandModel&) = default;
};

// UTC day number (days since 1970-01-01) and weekday (0 = Monday) of an instant.
int32_t day_number(Timestamp at);
int weekday_of(int32_t day);

// Folds `units` of demand at `at` into the model (negative for returns).
void observe_demand(DemandModel& model, int64_t units, Timestamp at);
// Folds a loss of `units` (> 0) from on-hand into the loss model.
void observe_loss(DemandModel& model, int64_t units);
// A loss at least this large is a spike: max(8, 4 × the typical loss), the typical loss
// being 2 units until three losses are on record.
inline constexpr int64_t kLossSpikeMinUnits = 8;
inline constexpr double kLossSpikeFactor = 4;
double loss_spike_threshold(const DemandModel& model);
bool has_history(const DemandModel& model);  // anything to store
// Closes every day before `day` (no-op when the model is already there or empty).
void close_days_before(DemandModel& model, int32_t day);

enum class ForecastMethod : uint8_t { none = 0, flat = 1, weekly = 2, sba = 3 };
std::string_view forecast_method_name(ForecastMethod method);

// Syntetos–Boylan demand patterns.
enum class DemandPattern : uint8_t {
  none = 0,
  smooth = 1,
  erratic = 2,
  intermittent = 3,
  lumpy = 4
};
std::string_view demand_pattern_name(DemandPattern pattern);

enum class VelocityClass : uint8_t { dormant = 0, slow = 1, medium = 2, fast = 3 };
std::string_view velocity_class_name(VelocityClass velocity);
std::optional<VelocityClass> velocity_class_from_name(std::string_view name);

struct VelocityThresholds {
  double fast_per_day = 2.0;    // at least this many units a day
  double medium_per_day = 0.2;  // at least one unit every five days
  int32_t dormant_days = 30;    // no demand for this many days (or never)
};

struct ForecastRequest {
  Timestamp now{};
  int32_t horizon_days = 7;
  double interval_z = 1.6449;  // two-sided 90 % by default
  // Optional demand multiplier per UTC day (promotions; 1 = none).
  std::function<double(int32_t day)> factor;
};

struct Forecast {
  ForecastMethod method = ForecastMethod::none;
  DemandPattern pattern = DemandPattern::none;
  VelocityClass velocity = VelocityClass::dormant;
  double daily_rate = 0;   // units a day now, before uplift
  double daily_sigma = 0;  // one-day forecast error (standard deviation)
  double mean_units = 0;   // expected demand over the horizon, with uplift
  double low_units = 0;    // interval bounds over the horizon
  double high_units = 0;
  double uplift_units = 0;          // the part of mean_units due to the factor
  std::vector<double> daily_units;  // per day of the horizon, with uplift
  int32_t history_days = 0;
  int32_t demand_days = 0;
  int32_t days_since_demand = -1;  // -1: never
  double average_interval_days = 0;
  double cv_squared = 0;
};

Forecast forecast_demand(const DemandModel& model, const ForecastRequest& request,
                         const VelocityThresholds& thresholds = {});

// Method, daily rate, daily error and class as of `now`: a forecast without a horizon,
// cheap enough for every availability computation.
struct DemandNow {
  ForecastMethod method = ForecastMethod::none;
  double daily_rate = 0;
  double daily_sigma = 0;
  VelocityClass velocity = VelocityClass::dormant;
};
DemandNow demand_now(const DemandModel& model, Timestamp now,
                     const VelocityThresholds& thresholds = {});

// The class of a model as of `now` (its daily rate and days since the last demand).
VelocityClass velocity_class(const DemandModel& model, Timestamp now,
                             const VelocityThresholds& thresholds = {});

// Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9).
double normal_quantile(double probability);

struct LeadTime {
  double mean_days = 14;
  double stddev_days = 0;
};

// Safety stock for a service level: z · √(L σ_d² + d² σ_L²); reorder point d L + safety.
struct StockTargets {
  double safety_stock = 0;
  double reorder_point = 0;
  double order_up_to = 0;  // for a review period: d (L + R) + z √((L + R) σ_d² + d² σ_L²)
  double z = 0;
};
StockTargets stock_targets(double daily_rate, double daily_sigma, LeadTime lead_time,
                           double service_level, double review_days);

}  // namespace stockd
