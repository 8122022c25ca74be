// `stockd simulate`: runs a scenario's day under every sync strategy and prints the
// scorecard; writes the report as HTML or JSON (sim/simulation.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace stockd {

struct SimulateOptions {
  std::string scenario_path;
  std::optional<uint64_t> seed;  // the scenario's own seed when not given
  std::string report_path;       // "" = none; .html or .json
  std::string work_dir;          // "" = a fresh directory under the system's temp dir
  size_t threads = 0;            // strategies at once; 0 = one per core
};

// Exit 0 on success, 2 when the scenario is invalid or a run fails.
int run_simulate(const SimulateOptions& options);

}  // namespace stockd
