// The demand model on synthetic demand with known parameters (seeded): the forecast's
// error stays in the band the parameters imply, intermittent demand is not
// over-forecast, weekly seasonality is found when it is there and not when it is not.
#include "core/forecast.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "core/test_support.hpp"

namespace stockd {
namespace {

using testing::at;

const Timestamp kStart = at("2026-01-05T00:00:00Z");  // a Monday

Timestamp noon_of(int day_offset) { return kStart + std::chrono::hours(24 * day_offset + 12); }

// Feeds `days` of demand drawn by `draw(day_offset)` and, before each day, records the
// model's one-day and seven-day forecasts.
struct DemandRun {
  DemandModel model;
  std::vector<double> one_day_forecast;
  std::vector<Forecast> week_forecast;
  std::vector<int64_t> demand;
};

template <typename Draw>
DemandRun simulate(int days, Draw draw) {
  DemandRun run;
  for (int day = 0; day < days; ++day) {
    ForecastRequest request;
    request.now = kStart + std::chrono::hours(24 * day);
    request.horizon_days = 1;
    run.one_day_forecast.push_back(forecast_demand(run.model, request).mean_units);
    request.horizon_days = 7;
    run.week_forecast.push_back(forecast_demand(run.model, request));
    const int64_t units = draw(day);
    run.demand.push_back(units);
    if (units > 0) observe_demand(run.model, units, noon_of(day));
  }
  return run;
}

double rmse(const DemandRun& run, int from_day) {
  double total = 0;
  int n = 0;
  for (size_t day = static_cast<size_t>(from_day); day < run.demand.size(); ++day, ++n) {
    total += std::pow(static_cast<double>(run.demand[day]) - run.one_day_forecast[day], 2);
  }
  return std::sqrt(total / n);
}

// The share of seven-day windows whose actual demand fell inside the forecast interval.
double coverage(const DemandRun& run, int from_day) {
  int inside = 0;
  int n = 0;
  for (size_t day = static_cast<size_t>(from_day); day + 7 <= run.demand.size(); ++day, ++n) {
    int64_t actual = 0;
    for (size_t k = day; k < day + 7; ++k) actual += run.demand[k];
    const Forecast& f = run.week_forecast[day];
    if (actual >= f.low_units && actual <= f.high_units) ++inside;
  }
  return static_cast<double>(inside) / n;
}

TEST(Forecast, SteadyPoissonDemandIsForecastWithinTheExpectedBand) {
  std::mt19937_64 random(20261128);
  std::poisson_distribution<int64_t> poisson(20.0);
  const DemandRun run = simulate(240, [&](int) { return poisson(random); });
  ForecastRequest request;
  request.now = kStart + std::chrono::hours(24 * 240);
  const Forecast f = forecast_demand(run.model, request);
  EXPECT_EQ(f.method, ForecastMethod::flat);
  EXPECT_EQ(f.pattern, DemandPattern::smooth);
  EXPECT_EQ(f.velocity, VelocityClass::fast);
  // An EWMA with α = 0.1 of Poisson(20) has standard deviation √(α/(2−α)·20) ≈ 1.03.
  EXPECT_NEAR(f.daily_rate, 20.0, 3.5);
  EXPECT_NEAR(f.mean_units, 7 * f.daily_rate, 1e-9);
  // One-day-ahead error ≈ √(20 + 1.05) ≈ 4.6: the noise itself, not a biased model.
  const double error = rmse(run, 30);
  EXPECT_GT(error, 0.9 * std::sqrt(20.0));
  EXPECT_LT(error, 1.2 * std::sqrt(20.0));
  EXPECT_NEAR(f.daily_sigma, std::sqrt(20.0), 0.35 * std::sqrt(20.0));
  // The 90 % interval holds the next seven days' demand about 90 % of the time.
  const double covered = coverage(run, 30);
  std::printf("steady Poisson(20): rate %.2f, one-day RMSE %.2f, 7-day 90%% coverage %.3f\n",
              f.daily_rate, error, covered);
  EXPECT_GT(covered, 0.8);
  EXPECT_LE(covered, 1.0);
}

TEST(Forecast, IntermittentDemandUsesSbaAndIsNotOverForecast) {
  // Demand on 20 % of days, 1 + Poisson(2) units when it comes: 0.6 units a day.
  std::mt19937_64 random(7);
  std::bernoulli_distribution occurs(0.2);
  std::poisson_distribution<int64_t> extra(2.0);
  const DemandRun run = simulate(400, [&](int) { return occurs(random) ? 1 + extra(random) : 0; });
  ForecastRequest request;
  request.now = kStart + std::chrono::hours(24 * 400);
  const Forecast f = forecast_demand(run.model, request);
  EXPECT_EQ(f.method, ForecastMethod::sba);
  EXPECT_TRUE(f.pattern == DemandPattern::intermittent || f.pattern == DemandPattern::lumpy);
  EXPECT_NEAR(f.average_interval_days, 5.0, 1.5);
  EXPECT_EQ(f.velocity, VelocityClass::medium);
  // Averaged over every forecast origin after warm-up, the forecast does not exceed
  // the true rate (Croston's bias is upwards; SBA's correction and the waiting-time
  // decay keep it at or below), and is not wildly under either.
  double forecast_total = 0;
  double actual_total = 0;
  for (size_t day = 60; day < run.demand.size(); ++day) {
    forecast_total += run.one_day_forecast[day];
    actual_total += static_cast<double>(run.demand[day]);
  }
  const double ratio = forecast_total / actual_total;
  std::printf("intermittent (p 0.2, mean size 3): forecast/actual %.3f, interval %.2f d\n", ratio,
              f.average_interval_days);
  EXPECT_LT(ratio, 1.05) << "over-forecast";
  EXPECT_GT(ratio, 0.7) << "badly under-forecast";
}

TEST(Forecast, WeeklySeasonalityIsFoundWhenTheHistoryHasIt) {
  // Monday..Sunday means: weekends sell four times a weekday.
  const double means[7] = {10, 10, 10, 10, 15, 40, 40};
  std::mt19937_64 random(42);
  const DemandRun run = simulate(168, [&](int day) {
    std::poisson_distribution<int64_t> poisson(means[day % 7]);
    return poisson(random);
  });
  ForecastRequest request;
  request.now = kStart + std::chrono::hours(24 * 168);  // a Monday
  request.horizon_days = 7;
  const Forecast f = forecast_demand(run.model, request);
  EXPECT_EQ(f.method, ForecastMethod::weekly);
  EXPECT_NEAR(f.mean_units, 135.0, 135.0 * 0.15);
  // Each weekday's index is near its true share (mean / overall mean 19.29).
  for (int weekday = 0; weekday < 7; ++weekday) {
    EXPECT_NEAR(run.model.season[static_cast<size_t>(weekday)], means[weekday] / (135.0 / 7), 0.3)
        << weekday;
  }
  EXPECT_LT(run.model.error_sq_weekly, 0.5 * run.model.error_sq_flat);
  // Before four weeks of history the model does not claim a weekly pattern.
  ForecastRequest early;
  early.now = kStart + std::chrono::hours(24 * 20);
  DemandModel young;
  for (int day = 0; day < 20; ++day) {
    observe_demand(young, static_cast<int64_t>(means[day % 7]), noon_of(day));
  }
  EXPECT_EQ(forecast_demand(young, early).method, ForecastMethod::flat);
}

TEST(Forecast, FlatDemandIsNotMistakenForWeekly) {
  std::mt19937_64 random(99);
  std::poisson_distribution<int64_t> poisson(12.0);
  const DemandRun run = simulate(200, [&](int) { return poisson(random); });
  ForecastRequest request;
  request.now = kStart + std::chrono::hours(24 * 200);
  EXPECT_EQ(forecast_demand(run.model, request).method, ForecastMethod::flat);
}

TEST(Forecast, VelocityClassesFollowRateAndSilence) {
  DemandModel fast;
  DemandModel medium;
  DemandModel slow;
  for (int day = 0; day < 60; ++day) {
    observe_demand(fast, 5, noon_of(day));
    if (day % 3 == 0) observe_demand(medium, 1, noon_of(day));
    if (day % 20 == 0) observe_demand(slow, 1, noon_of(day));
  }
  const Timestamp now = kStart + std::chrono::hours(24 * 60);
  EXPECT_EQ(velocity_class(fast, now), VelocityClass::fast);
  EXPECT_EQ(velocity_class(medium, now), VelocityClass::medium);
  EXPECT_EQ(velocity_class(slow, now), VelocityClass::slow);
  EXPECT_EQ(velocity_class(DemandModel{}, now), VelocityClass::dormant);
  // Thirty days without demand: dormant, whatever it sold before.
  EXPECT_EQ(velocity_class(fast, now + std::chrono::hours(24 * 30)), VelocityClass::dormant);
  // A week of silence decays 5/day to 5 · 0.9⁷ ≈ 2.4: still fast.
  EXPECT_EQ(velocity_class(fast, now + std::chrono::hours(24 * 7)), VelocityClass::fast);
}

TEST(Forecast, ReturnsNetAgainstTheDaysDemand) {
  DemandModel model;
  observe_demand(model, -3, noon_of(0));  // nothing to net against yet
  EXPECT_EQ(model.open_day, 0);
  observe_demand(model, 5, noon_of(0));
  observe_demand(model, -5, noon_of(0) + std::chrono::hours(1));
  observe_demand(model, 4, noon_of(1));
  EXPECT_EQ(model.days_closed, 1);
  EXPECT_EQ(model.demand_days, 0);  // day 0 netted to nothing
  observe_demand(model, -10, noon_of(1));
  observe_demand(model, 2, noon_of(2));
  EXPECT_EQ(model.demand_days, 0);  // a net return is floored at zero
  EXPECT_EQ(model.open_day_units, 2);
  // A demand for a day already closed counts on the open day.
  observe_demand(model, 3, noon_of(0));
  EXPECT_EQ(model.open_day_units, 5);
}

TEST(Forecast, AYearOfSilenceClosesInBoundedWork) {
  DemandModel model;
  for (int day = 0; day < 30; ++day) observe_demand(model, 10, noon_of(day));
  const double level = model.level;
  observe_demand(model, 1, noon_of(400));
  EXPECT_EQ(model.days_closed, 400);
  EXPECT_EQ(model.days_since_demand, 370);
  EXPECT_LT(model.level, level * 1e-10);
  EXPECT_EQ(model.open_day_units, 1);
}

TEST(Forecast, UpliftRaisesTheDaysItCovers) {
  DemandModel model;
  for (int day = 0; day < 60; ++day) observe_demand(model, 10, noon_of(day));
  ForecastRequest request;
  request.now = kStart + std::chrono::hours(24 * 60);
  request.horizon_days = 10;
  const Forecast plain = forecast_demand(model, request);
  const int32_t first = day_number(request.now);
  request.factor = [first](int32_t day) { return day >= first + 5 ? 1.5 : 1.0; };
  const Forecast promoted = forecast_demand(model, request);
  EXPECT_NEAR(promoted.uplift_units, 0.5 * plain.mean_units / 2, 1e-6);
  EXPECT_NEAR(promoted.mean_units, plain.mean_units * 1.25, 1e-6);
  EXPECT_GT(promoted.high_units, plain.high_units);
  EXPECT_DOUBLE_EQ(promoted.daily_rate, plain.daily_rate);
}

TEST(Forecast, NormalQuantileMatchesTables) {
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-9);
  EXPECT_NEAR(normal_quantile(0.95), 1.644854, 1e-6);
  EXPECT_NEAR(normal_quantile(0.975), 1.959964, 1e-6);
  EXPECT_NEAR(normal_quantile(0.99), 2.326348, 1e-6);
  EXPECT_NEAR(normal_quantile(0.01), -2.326348, 1e-6);
  EXPECT_NEAR(normal_quantile(0.001), -3.090232, 1e-6);
}

TEST(Forecast, SafetyStockAndReorderPointByHand) {
  // d = 10/day, σ_d = 3, L = 4 days exactly, 95 %: SS = 1.645 · 3 · 2 = 9.87.
  StockTargets t = stock_targets(10, 3, {4, 0}, 0.95, 7);
  EXPECT_NEAR(t.safety_stock, 9.8691, 1e-3);
  EXPECT_NEAR(t.reorder_point, 49.8691, 1e-3);
  EXPECT_NEAR(t.order_up_to, 110 + 1.644854 * 3 * std::sqrt(11.0), 1e-3);
  // Lead-time variability: σ_L = 2 days adds d² σ_L² = 400 under the root.
  t = stock_targets(10, 3, {4, 2}, 0.95, 0);
  EXPECT_NEAR(t.safety_stock, 1.644854 * std::sqrt(36.0 + 400.0), 1e-3);
}

}  // namespace
}  // namespace stockd
