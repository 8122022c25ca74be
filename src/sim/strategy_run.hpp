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

bool run_strategy(const Scenario& scenario, const DayScript& script, Strategy strategy,
                  const std::string& work_dir, Scorecard& out, std::string* error);

}  // namespace stockd::sim
