// The simulator: scenario parsing, the day's script, and whole runs of every strategy
// against the real engine on small scenarios (determinism, accounting, sanity).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <random>
#include <string>

#include "sim/day_script.hpp"
#include "sim/simulation.hpp"

namespace stockd::sim {
namespace {

// A small retailer: 60 SKUs, a warehouse, three stores, a web shop with pickup and a
// slow marketplace; a spike on the web shop in the afternoon. `extra` overrides.
constexpr char kChannels[] = R"(
[[channels]]
id = "web"
share = 0.6
sync_latency_seconds = 5
pool = "all"
pickup = true
pickup_share = 0.2
backorder = true

[[channels]]
id = "market"
share = 0.4
sync_latency_seconds = 600
updates_per_minute = 30
buffer_units = 1
)";

constexpr char kBase[] = R"(name = "small"
start = "2026-03-02T00:00:00Z"
hours = 8
seed = 11
skus = 60
warehouses = 1
stores = 3
warehouse_cover_days_min = 0.3
warehouse_cover_days_max = 1.5
store_cover_days_min = 0.3
store_cover_days_max = 1.5
online_orders_per_day = 6000
walk_in_units_per_store_day = 900
store_hourly_profile = [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]
shrink_units_per_store_day = 20
receipts_per_warehouse_day = 6
receipt_late_share = 0.5
receipt_short_share = 0.5
counts_per_store_day = 30
)";

// The base settings, less those `extra` sets again (TOML refuses a key twice).
std::string base_settings(const std::string& extra) {
  std::string kept;
  size_t from = 0;
  const std::string base = kBase;
  while (from < base.size()) {
    const size_t end = base.find('\n', from);
    const std::string line = base.substr(from, end - from + 1);
    const std::string key = line.substr(0, line.find(" ="));
    if (extra.rfind(key + " =", 0) != 0 && extra.find("\n" + key + " =") == std::string::npos) {
      kept += line;
    }
    from = end + 1;
  }
  return kept;
}

std::string small_scenario(const std::string& extra = "", const std::string& tables = "",
                           const std::string& channels = kChannels) {
  return base_settings(extra) + extra + channels + R"(
[[spikes]]
name = "spike"
sku_first_rank = 2
sku_count = 5
channels = ["web", "market"]
start_hour = 3
hours = 2
multiplier = 10
)" + tables;
}

class TempDir {
 public:
  TempDir() {
    std::random_device entropy;
    path_ =
        (std::filesystem::temp_directory_path() / ("stockd-sim-test-" + std::to_string(entropy())))
            .string();
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Scenario parsed(const std::string& text) {
  Scenario scenario;
  std::string error;
  EXPECT_TRUE(parse_scenario(text, "test.toml", scenario, &error)) << error;
  return scenario;
}

SimulationReport simulated(const Scenario& scenario, uint64_t seed) {
  TempDir dir;
  SimulationReport report;
  std::string error;
  EXPECT_TRUE(simulate(scenario, seed, dir.path(), 2, report, &error)) << error;
  return report;
}

const Scorecard& card_of(const SimulationReport& report, Strategy strategy) {
  for (const Scorecard& card : report.scorecards) {
    if (card.strategy == strategy) return card;
  }
  ADD_FAILURE() << "no scorecard for " << strategy_name(strategy);
  return report.scorecards.front();
}

TEST(SimulationScenario, ReadsEverySettingAndDefaults) {
  const Scenario scenario = parsed(small_scenario());
  EXPECT_EQ(scenario.name, "small");
  EXPECT_EQ(scenario.hours, 8);
  EXPECT_EQ(scenario.skus, 60);
  ASSERT_EQ(scenario.channels.size(), 2u);
  EXPECT_EQ(scenario.channels[0].pool, PoolKind::all);
  EXPECT_EQ(scenario.channels[1].pool, PoolKind::warehouses);
  EXPECT_EQ(scenario.channels[1].updates_per_minute, 30);
  ASSERT_EQ(scenario.spikes.size(), 1u);
  EXPECT_EQ(scenario.strategies.size(), 4u);
  EXPECT_EQ(scenario.online_hourly_profile.size(), 24u);  // flat by default
}

TEST(SimulationScenario, RefusesWhatItCannotRunWithAClearMessage) {
  const auto error_of = [](const std::string& text) {
    Scenario scenario;
    std::string error;
    EXPECT_FALSE(parse_scenario(text, "bad.toml", scenario, &error));
    return error;
  };
  EXPECT_NE(error_of(small_scenario("colour = 3\n")).find("scenario.colour: unknown setting"),
            std::string::npos);
  EXPECT_NE(error_of(small_scenario("hours = 0\n")).find("hours: must be between 1 and 168"),
            std::string::npos);
  EXPECT_NE(error_of(small_scenario("strategies = [\"hourly\"]\n")).find("unknown strategy"),
            std::string::npos);
  EXPECT_NE(error_of(small_scenario("store_hourly_profile = [1, 2]\n"))
                .find("must hold 24 hourly weights"),
            std::string::npos);
  EXPECT_NE(error_of(small_scenario("",
                                    "[[spikes]]\nname = \"x\"\nsku_count = 5\n"
                                    "channels = [\"tv\"]\n"))
                .find("unknown channel 'tv'"),
            std::string::npos);
  EXPECT_NE(error_of(small_scenario("", "[[channels]]\nid = \"p\"\npickup = true\n"))
                .find("channels[2].pickup: needs pool"),
            std::string::npos);
  EXPECT_NE(error_of("name = \"x\"\nskus = [").find("bad.toml:2:"), std::string::npos);
}

TEST(SimulationScript, IsTheSameForASeedAndSortedInTime) {
  const Scenario scenario = parsed(small_scenario());
  const DayScript a = make_day_script(scenario, 5);
  const DayScript b = make_day_script(scenario, 5);
  const DayScript c = make_day_script(scenario, 6);
  ASSERT_EQ(a.happenings.size(), b.happenings.size());
  for (size_t i = 0; i < a.happenings.size(); ++i) {
    EXPECT_EQ(a.happenings[i].at_ms, b.happenings[i].at_ms);
    EXPECT_EQ(a.happenings[i].sku, b.happenings[i].sku);
  }
  EXPECT_EQ(a.opening, b.opening);
  EXPECT_NE(a.happenings.size(), c.happenings.size());
  for (size_t i = 1; i < a.happenings.size(); ++i) {
    EXPECT_LE(a.happenings[i - 1].at_ms, a.happenings[i].at_ms);
  }
  double popularity = 0;
  for (const double share : a.layout.popularity) popularity += share;
  EXPECT_NEAR(popularity, 1.0, 1e-9);
}

TEST(SimulationScript, DrawsTheDemandTheScenarioAsksFor) {
  const Scenario scenario = parsed(small_scenario());
  const DayScript script = make_day_script(scenario, 3);
  int64_t walk_ins = 0;
  int64_t orders = 0;
  int64_t spike_orders = 0;
  for (const Happening& happening : script.happenings) {
    if (happening.kind == HappeningKind::walk_in) ++walk_ins;
    if (happening.kind != HappeningKind::online_order) continue;
    ++orders;
    const bool in_spike = happening.at_ms >= 3 * 3'600'000 && happening.at_ms < 5 * 3'600'000;
    if (in_spike && happening.sku >= 2 && happening.sku < 7) ++spike_orders;
  }
  // 8 of 24 flat hours: a third of the day's demand (Poisson noise well inside ±10 %).
  EXPECT_NEAR(static_cast<double>(walk_ins), 3 * 900 / 3.0, 90);
  EXPECT_GT(orders, 6000 / 3);  // plus the spike
  EXPECT_GT(spike_orders, 200);
}

TEST(Simulation, SameSeedSameReportByteForByte) {
  const Scenario scenario = parsed(small_scenario());
  const SimulationReport first = simulated(scenario, 21);
  const SimulationReport second = simulated(scenario, 21);
  EXPECT_EQ(report_json(first), report_json(second));
  EXPECT_EQ(report_html(first), report_html(second));
  EXPECT_EQ(report_table(first), report_table(second));
  const SimulationReport other = simulated(scenario, 22);
  EXPECT_NE(report_json(first), report_json(other));
}

TEST(Simulation, EveryAcceptedOrderEndsFulfilledCanceledOrBackordered) {
  const SimulationReport report = simulated(parsed(small_scenario()), 4);
  ASSERT_EQ(report.scorecards.size(), 4u);
  for (const Scorecard& card : report.scorecards) {
    SCOPED_TRACE(std::string(strategy_name(card.strategy)));
    EXPECT_GT(card.orders_accepted, 1000);
    EXPECT_EQ(card.orders_accepted,
              card.orders_fulfilled + card.orders_canceled() + card.orders_backordered);
    EXPECT_LE(card.pickups_ready, card.pickups_accepted);
    EXPECT_GE(card.promise_accuracy(), 0.0);
    EXPECT_LE(card.promise_accuracy(), 1.0);
    EXPECT_EQ(card.hours.size(), 8u);
    int64_t oversold_by_hour = 0;
    for (const HourFigures& hour : card.hours) oversold_by_hour += hour.oversold_orders;
    EXPECT_EQ(oversold_by_hour, card.orders_canceled());
    ASSERT_EQ(card.channels.size(), 2u);
    EXPECT_EQ(card.channels[0].orders_accepted + card.channels[1].orders_accepted,
              card.orders_accepted);
    EXPECT_EQ(card.channels[0].orders_canceled + card.channels[1].orders_canceled,
              card.orders_canceled());
    EXPECT_EQ(card.channels[0].lost_sales_units + card.channels[1].lost_sales_units,
              card.lost_sales_units);
  }
  // The JSON report holds the same figures.
  const boost::json::value json = boost::json::parse(report_json(report));
  const auto& strategies = json.at("strategies").as_array();
  ASSERT_EQ(strategies.size(), 4u);
  EXPECT_EQ(strategies[0].at("strategy").as_string(), "nightly_batch");
  EXPECT_EQ(strategies[2].at("orders_accepted").as_int64(), report.scorecards[2].orders_accepted);
  const std::string html = report_html(report);
  EXPECT_NE(html.find("<table id=\"scorecard\">"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
}

TEST(Simulation, SlowerSyncOversellsMoreUnderTheSpike) {
  const SimulationReport report = simulated(parsed(small_scenario()), 8);
  const Scorecard& nightly = card_of(report, Strategy::nightly_batch);
  const Scorecard& quarter_hour = card_of(report, Strategy::batch_15min);
  const Scorecard& realtime = card_of(report, Strategy::realtime);
  EXPECT_GT(nightly.orders_canceled(), quarter_hour.orders_canceled());
  EXPECT_GT(quarter_hour.orders_canceled(), realtime.orders_canceled());
  // Facts reach stockd within seconds in real time, and only at the batches otherwise.
  EXPECT_LE(realtime.fact_lag.p95_seconds, 10);
  EXPECT_GT(quarter_hour.fact_lag.p50_seconds, 60);
  EXPECT_GT(nightly.fact_lag.p50_seconds, 3600);
  EXPECT_GT(nightly.variance_units, realtime.variance_units);
}

TEST(Simulation, RealTimeWithoutLatencyOversellsNothing) {
  // Facts arrive at once, channels show every change at once and nothing vanishes
  // unseen: every order a channel takes is one stockd can allocate and the shelf fill.
  const Scenario scenario = parsed(
      small_scenario("pos_lag_seconds = 0\nwms_lag_seconds = 0\nshrink_units_per_store_day = 0\n"
                     "strategies = [\"realtime\", \"nightly_batch\"]\n",
                     "",
                     "[[channels]]\nid = \"web\"\nshare = 0.6\npool = \"all\"\npickup = true\n"
                     "pickup_share = 0.2\n[[channels]]\nid = \"market\"\nshare = 0.4\n"));
  const SimulationReport report = simulated(scenario, 9);
  const Scorecard& realtime = card_of(report, Strategy::realtime);
  EXPECT_GT(realtime.orders_accepted, 1000);
  EXPECT_EQ(realtime.orders_canceled(), 0);
  EXPECT_EQ(realtime.oversold_units, 0);
  EXPECT_EQ(realtime.lost_sales_orders, 0);  // no buffers, nothing stale
  EXPECT_GT(card_of(report, Strategy::nightly_batch).orders_canceled(), 0);
}

// Every scenario shipped in scenarios/ loads and runs (its first hour, two strategies, on
// a smaller catalog).
TEST(Simulation, ShippedScenariosRun) {
  size_t found = 0;
  for (const auto& entry : std::filesystem::directory_iterator(STOCKD_SCENARIOS)) {
    if (entry.path().extension() != ".toml") continue;
    ++found;
    SCOPED_TRACE(entry.path().string());
    Scenario scenario;
    std::string error;
    ASSERT_TRUE(load_scenario(entry.path().string(), scenario, &error)) << error;
    // A smaller catalog and network, so it runs in seconds under the sanitizers.
    scenario.hours = 1;
    scenario.skus = std::min<int64_t>(scenario.skus, 300);
    scenario.stores = std::min<int64_t>(scenario.stores, 4);
    for (SpikeSpec& spike : scenario.spikes) {
      spike.sku_first_rank = std::min<int64_t>(spike.sku_first_rank, 10);
      spike.sku_count = std::min<int64_t>(spike.sku_count, 10);
    }
    scenario.strategies = {Strategy::nightly_batch, Strategy::realtime_buffered};
    const SimulationReport report = simulated(scenario, scenario.seed);
    ASSERT_EQ(report.scorecards.size(), scenario.strategies.size());
    for (const Scorecard& card : report.scorecards) {
      EXPECT_GT(card.orders_accepted, 0);
      EXPECT_EQ(card.orders_accepted,
                card.orders_fulfilled + card.orders_canceled() + card.orders_backordered);
    }
  }
  EXPECT_GE(found, 3u);
}

}  // namespace
}  // namespace stockd::sim
