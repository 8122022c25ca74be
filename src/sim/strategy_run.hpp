// One strategy's run of the simulated day: the real engine (src/engine) on a real
// RocksDB store in a work directory (writes not synced: the simulator measures
// outcomes, not durability), a manual clock moved by the simulation, and the physical
// world (what is really on each shelf) kept beside it. Deterministic: the same script
// gives the same scorecard. Blocks; one run per thread.
#pragma once

#include <string>

#include "sim/day_script.hpp"
#include "sim/scenario.hpp"
#include "sim/scorecard.hpp"

namespace stockd::sim {

// The store every strategy starts from (network, purchase orders, opening stock with a
// week of history), built once in `dir` and copied for each run.
bool build_opening_store(const Scenario& scenario, const DayScript& script, const std::string& dir,
                         std::string* error);

bool run_strategy(const Scenario& scenario, const DayScript& script, Strategy strategy,
                  const std::string& opening_dir, const std::string& work_dir, Scorecard& out,
                  std::string* error);

}  // namespace stockd::sim
