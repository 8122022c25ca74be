// `stockd simulate`: one scenario's day, drawn once from the seed, run under each sync
// strategy against its own engine and store (in parallel threads), and the scorecards
// side by side. The report (JSON, HTML, terminal table) depends only on the scenario
// and the seed: the same seed gives the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/scenario.hpp"
#include "sim/scorecard.hpp"

namespace stockd::sim {

struct SimulationReport {
  Scenario scenario;
  uint64_t seed = 0;
  int64_t happenings = 0;  // shoppers, returns, shrink, trucks, counts in the script
  int64_t skus = 0;
  int64_t locations = 0;
  std::vector<Scorecard> scorecards;  // in the scenario's strategy order
};

// Runs every strategy of `scenario` with `seed`; stores live under `work_root` (a
// directory to create and remove). `threads` = strategies run at once (0 = all).
bool simulate(const Scenario& scenario, uint64_t seed, const std::string& work_root, size_t threads,
              SimulationReport& out, std::string* error);

std::string report_json(const SimulationReport& report);
std::string report_html(const SimulationReport& report);
std::string report_table(const SimulationReport& report);  // for the terminal

}  // namespace stockd::sim
