#include "sim/simulation.hpp"

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "sim/day_script.hpp"
#include "sim/strategy_run.hpp"

namespace stockd::sim {

bool simulate(const Scenario& scenario, uint64_t seed, const std::string& work_root, size_t threads,
              SimulationReport& out, std::string* error) {
  const DayScript script = make_day_script(scenario, seed);
  SimulationReport report;
  report.scenario = scenario;
  report.seed = seed;
  report.happenings = static_cast<int64_t>(script.happenings.size());
  report.skus = script.layout.skus;
  report.locations = script.layout.locations();
  const size_t runs = scenario.strategies.size();
  report.scorecards.resize(runs);

  std::error_code failed;
  std::filesystem::create_directories(work_root, failed);
  if (failed) {
    *error = work_root + ": " + failed.message();
    return false;
  }
  const std::string opening_dir = work_root + "/opening";
  std::filesystem::remove_all(opening_dir, failed);
  if (!build_opening_store(scenario, script, opening_dir, error)) return false;
  std::vector<std::string> errors(runs);
  std::atomic<size_t> next{0};
  const auto worker = [&]() {
    for (size_t run = next++; run < runs; run = next++) {
      const Strategy strategy = scenario.strategies[run];
      const std::string dir = work_root + "/" + std::string(strategy_name(strategy));
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
      if (!run_strategy(scenario, script, strategy, opening_dir, dir, report.scorecards[run],
                        &errors[run]) &&
          errors[run].empty()) {
        errors[run] = std::string(strategy_name(strategy)) + ": failed";
      }
      std::filesystem::remove_all(dir, ignored);
    }
  };
  const size_t workers = threads == 0 ? runs : std::min(threads, runs);
  std::vector<std::thread> pool;
  for (size_t i = 0; i < workers; ++i) pool.emplace_back(worker);
  for (std::thread& thread : pool) thread.join();
  std::filesystem::remove_all(opening_dir, failed);
  for (const std::string& problem : errors) {
    if (!problem.empty()) {
      *error = problem;
      return false;
    }
  }
  out = std::move(report);
  return true;
}

}  // namespace stockd::sim
