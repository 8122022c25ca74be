#include "app/simulate_command.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "sim/simulation.hpp"

namespace stockd {

int run_simulate(const SimulateOptions& options) {
  sim::Scenario scenario;
  std::string error;
  if (!sim::load_scenario(options.scenario_path, scenario, &error)) {
    std::fprintf(stderr, "stockd simulate: %s\n", error.c_str());
    return 2;
  }
  const std::string& report_path = options.report_path;
  const bool html = report_path.size() >= 5 && report_path.ends_with(".html");
  const bool json = report_path.size() >= 5 && report_path.ends_with(".json");
  if (!report_path.empty() && !html && !json) {
    std::fprintf(stderr, "stockd simulate: --report must name a .html or .json file\n");
    return 2;
  }
  std::string work_dir = options.work_dir;
  bool remove_work_dir = false;
  if (work_dir.empty()) {
    std::random_device entropy;
    work_dir =
        (std::filesystem::temp_directory_path() / ("stockd-simulate-" + std::to_string(entropy())))
            .string();
    remove_work_dir = true;
  }
  const uint64_t seed = options.seed.value_or(scenario.seed);
  const size_t threads =
      options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  const auto started = std::chrono::steady_clock::now();
  sim::SimulationReport report;
  const bool ran = sim::simulate(scenario, seed, work_dir, threads, report, &error);
  const double wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (remove_work_dir) {
    std::error_code ignored;
    std::filesystem::remove_all(work_dir, ignored);
  }
  if (!ran) {
    std::fprintf(stderr, "stockd simulate: %s\n", error.c_str());
    return 2;
  }
  std::fputs(sim::report_table(report).c_str(), stdout);
  int64_t engine_work = 0;
  for (const sim::Scorecard& card : report.scorecards) {
    engine_work += card.engine_facts + card.engine_reservations;
  }
  std::fprintf(stdout,
               "\n%zu strategies in %.1f s of wall time (%zu at once); %lld facts and "
               "reservations through the engine\n",
               report.scorecards.size(), wall_seconds, threads,
               static_cast<long long>(engine_work));
  if (!report_path.empty()) {
    std::ofstream out(report_path, std::ios::binary | std::ios::trunc);
    out << (html ? sim::report_html(report) : sim::report_json(report));
    if (!out.flush()) {
      std::fprintf(stderr, "stockd simulate: %s: cannot be written\n", report_path.c_str());
      return 2;
    }
    std::fprintf(stdout, "report: %s\n", report_path.c_str());
  }
  return 0;
}

}  // namespace stockd
